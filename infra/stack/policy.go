package stack

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PolicyDocument is an IAM policy document as JSON encodes it.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one IAM policy statement. Principal is only used in resource
// policies (bucket and queue policies).
type Statement struct {
	Sid       string                         `json:"Sid,omitempty"`
	Effect    string                         `json:"Effect"`
	Principal map[string]any                 `json:"Principal,omitempty"`
	Action    []string                       `json:"Action"`
	Resource  []string                       `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// stmt is a Statement whose resources and condition values may be
// outputs of other resources; policyJSON resolves them.
type stmt struct {
	sid       string
	effect    string
	principal map[string]any
	actions   []string
	resources []pulumi.StringInput
	// condition is operator -> key -> values.
	condition map[string]map[string][]pulumi.StringInput
}

// allow builds an Allow statement.
func allow(sid string, actions []string, resources ...pulumi.StringInput) stmt {
	return stmt{sid: sid, effect: "Allow", actions: actions, resources: resources}
}

// policyJSON resolves every output in stmts and encodes the document.
func policyJSON(stmts ...stmt) pulumi.StringOutput {
	// Flatten every input into one list, remembering the order, and rebuild
	// the statements once all are known.
	var inputs []any
	for _, s := range stmts {
		for _, r := range s.resources {
			inputs = append(inputs, r)
		}
		for _, op := range sortedKeys(s.condition) {
			for _, k := range sortedKeys(s.condition[op]) {
				for _, v := range s.condition[op][k] {
					inputs = append(inputs, v)
				}
			}
		}
	}
	return pulumi.All(inputs...).ApplyT(func(vals []any) (string, error) {
		next := func() string {
			v := vals[0]
			vals = vals[1:]
			s, _ := v.(string)
			return s
		}
		doc := PolicyDocument{Version: "2012-10-17"}
		for _, s := range stmts {
			out := Statement{Sid: s.sid, Effect: s.effect, Principal: s.principal, Action: s.actions}
			for range s.resources {
				out.Resource = append(out.Resource, next())
			}
			for _, op := range sortedKeys(s.condition) {
				if out.Condition == nil {
					out.Condition = map[string]map[string][]string{}
				}
				out.Condition[op] = map[string][]string{}
				for _, k := range sortedKeys(s.condition[op]) {
					for range s.condition[op][k] {
						out.Condition[op][k] = append(out.Condition[op][k], next())
					}
				}
			}
			doc.Statement = append(doc.Statement, out)
		}
		b, err := json.Marshal(doc)
		if err != nil {
			return "", fmt.Errorf("encode policy: %w", err)
		}
		return string(b), nil
	}).(pulumi.StringOutput)
}
