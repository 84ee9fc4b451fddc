#!/usr/bin/env bash
# Checks what `make preview|deploy|destroy` need before anything is built:
# the pulumi CLI and a login, the stack, and for the stack's targets AWS
# credentials and/or a kubeconfig. Each missing piece is one line with the
# fix; the exit status is 1 when anything is missing.
#
#   scripts/deploy-check.sh STACK
set -uo pipefail
stack=${1:-dev}
cd "$(dirname "$0")/../infra"
fail=0
say() { echo "deploy-check: $*" >&2; fail=1; }

if ! command -v pulumi >/dev/null 2>&1; then
	say "pulumi CLI not found on PATH: install it (https://www.pulumi.com/docs/install/, e.g. curl -fsSL https://get.pulumi.com | sh), then run \`pulumi login --local\` (or \`pulumi login\`)"
	exit 1
fi
if ! pulumi whoami --non-interactive >/dev/null 2>&1; then
	say "pulumi is not logged in to a backend: run \`pulumi login --local\` (state on this machine), \`pulumi login s3://BUCKET\` or \`pulumi login\`"
	exit 1
fi
if ! pulumi stack ls --non-interactive 2>/dev/null | awk 'NR>1 {sub(/\*$/, "", $1); print $1}' | grep -qx "$stack"; then
	say "stack \"$stack\" does not exist: run \`cd infra && pulumi stack init $stack\` and set its config (infra/README.md), or pass STACK=<name>"
	exit 1
fi
cfg() { pulumi config get "$1" --stack "$stack" --non-interactive 2>/dev/null; }
targets=$(cfg edgeinfer:targets || true)
targets=${targets:-aws}

if [[ $targets == aws || $targets == both ]]; then
	region=$(cfg aws:region || true)
	if [[ -z $region && -z ${AWS_REGION:-} && -z ${AWS_DEFAULT_REGION:-} ]]; then
		say "no AWS region: run \`cd infra && pulumi config set aws:region eu-west-1 --stack $stack\` (or set AWS_REGION)"
	fi
	profile=$(cfg aws:profile || true)
	if [[ -z ${AWS_ACCESS_KEY_ID:-} && -z ${AWS_PROFILE:-} && -z $profile &&
		-z ${AWS_WEB_IDENTITY_TOKEN_FILE:-} && -z ${AWS_CONTAINER_CREDENTIALS_FULL_URI:-} &&
		-z ${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:-} && -z $(cfg aws:accessKey || true) &&
		! -s ${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials} && ! -s ${AWS_CONFIG_FILE:-$HOME/.aws/config} ]]; then
		say "no AWS credentials for the aws target: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), \`aws configure\` / \`aws sso login\`, or \`pulumi config set aws:profile NAME --stack $stack\`"
	fi
fi
if [[ $targets == k8s || $targets == both ]]; then
	kubeconfig=$(cfg kubernetes:kubeconfig || true)
	found=0
	[[ -n $kubeconfig ]] && found=1
	IFS=: read -ra kcs <<<"${KUBECONFIG:-$HOME/.kube/config}"
	for f in "${kcs[@]}"; do [[ -n $f && -s $f ]] && found=1; done
	if [[ $found == 0 ]]; then
		say "no kubeconfig for the k8s target: set KUBECONFIG (or write ~/.kube/config), or \`pulumi config set kubernetes:kubeconfig PATH --stack $stack\`"
	fi
fi
exit $fail
