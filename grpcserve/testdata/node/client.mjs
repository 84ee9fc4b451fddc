// An independent gRPC client for edgeinfer's tests: @grpc/grpc-js with
// @grpc/proto-loader loading grpcserve/proto (and health.proto here).
//   node client.mjs ADDR < cases.json
// cases.json: [{"model", "input", "datatype", "tf_dtype", "shape", "raw"}]
// (raw in base64). Prints one JSON document: the health status, and per
// case the V2 metadata, the V2 ModelInfer raw outputs and the TF Serving
// Predict tensor_content outputs (base64), for the Go test to compare
// with the REST API's answers.
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const protoDir = join(here, '..', '..', 'proto');
const opts = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [protoDir, here] };
const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(
  ['inference/grpc_service.proto', 'tensorflow/serving/prediction_service.proto', 'health.proto'], opts));

const addr = process.argv[2];
const creds = grpc.credentials.createInsecure();
const copts = { 'grpc.max_receive_message_length': 64 << 20, 'grpc.max_send_message_length': 64 << 20 };
const v2 = new pkg.inference.GRPCInferenceService(addr, creds, copts);
const tf = new pkg.tensorflow.serving.PredictionService(addr, creds, copts);
const health = new pkg.grpc.health.v1.Health(addr, creds, copts);

const call = (client, method, req) => new Promise((resolve, reject) => {
  client[method](req, { deadline: Date.now() + 30000 }, (err, res) => (err ? reject(err) : resolve(res)));
});

const cases = JSON.parse(readFileSync(0, 'utf8'));
const out = { health: (await call(health, 'Check', { service: '' })).status, cases: [] };
for (const c of cases) {
  const raw = Buffer.from(c.raw, 'base64');
  const md = await call(v2, 'ModelMetadata', { name: c.model });
  const inf = await call(v2, 'ModelInfer', {
    model_name: c.model,
    inputs: [{ name: c.input, datatype: c.datatype, shape: c.shape }],
    raw_input_contents: [raw],
  });
  const pr = await call(tf, 'Predict', {
    model_spec: { name: c.model },
    inputs: { [c.input]: { dtype: c.tf_dtype, tensor_shape: { dim: c.shape.map((size) => ({ size })) }, tensor_content: raw } },
  });
  const tfOut = {};
  for (const [name, t] of Object.entries(pr.outputs)) tfOut[name] = Buffer.from(t.tensor_content).toString('base64');
  out.cases.push({
    model: c.model,
    metadata: {
      name: md.name, versions: md.versions, platform: md.platform,
      inputs: md.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(Number) })),
      outputs: md.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(Number) })),
    },
    v2_names: inf.outputs.map((o) => o.name),
    v2_raw: inf.raw_output_contents.map((b) => Buffer.from(b).toString('base64')),
    tf: tfOut,
  });
}
process.stdout.write(JSON.stringify(out));
v2.close(); tf.close(); health.close();
