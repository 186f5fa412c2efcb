#!/usr/bin/env python3
# Test fixture: a real KServe v2 (Open Inference Protocol) model server — KServe's own Python
# ModelServer (PyPI `kserve`, pinned in .ci/run) — serving ONNX models through onnxruntime. The
# protocol implementation is KServe's; only this tiny model runtime is ours. Run it with the
# interpreter of the .venv-kserve virtual environment that .ci/run creates.
#
#   kserve-onnx-server.py --grpc-port P --http-port Q --model NAME=FILE.onnx [--model ...]
#       [--fp16-model NAME=FILE.onnx]   served with FP16 input and outputs (cast around the FP32 model)
#       [--not-ready-while FILE]        every model reports "not ready" while FILE exists
#       [--tls-cert PEM --tls-key PEM]  gRPC over TLS instead of plaintext
#       [--token SECRET]                ModelInfer/ModelMetadata need "authorization: Bearer SECRET"
#       [--threads N]                   onnxruntime intra-op threads
#
# Prints "serving NAME..." on stdout once the gRPC port is about to be bound.
import argparse
import os
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--grpc-port", type=int, required=True)
parser.add_argument("--http-port", type=int, required=True)
parser.add_argument("--model", action="append", default=[], help="NAME=FILE.onnx")
parser.add_argument("--fp16-model", action="append", default=[], help="NAME=FILE.onnx, served as FP16")
parser.add_argument("--not-ready-while")
parser.add_argument("--tls-cert")
parser.add_argument("--tls-key")
parser.add_argument("--token")
parser.add_argument("--threads", type=int, default=0)
options = parser.parse_args()

# kserve parses sys.argv when imported: give it only its own settings (64 MiB messages, like vsp).
MAX_MESSAGE = str(64 * 1024 * 1024)
sys.argv = [sys.argv[0], "--grpc_max_send_message_length", MAX_MESSAGE, "--grpc_max_receive_message_length", MAX_MESSAGE,
            "--enable_latency_logging", "False"]

import grpc  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import kserve  # noqa: E402
from kserve import InferOutput, InferRequest, InferResponse  # noqa: E402

ONNX_TO_V2 = {"tensor(float)": "FP32", "tensor(float16)": "FP16"}


class OnnxModel(kserve.Model):
    def __init__(self, name: str, path: str, fp16: bool):
        super().__init__(name)
        self.path = path
        self.fp16 = fp16
        self.session = None
        self.load()

    def load(self) -> bool:
        if self.session is None:
            so = ort.SessionOptions()
            if options.threads:
                so.intra_op_num_threads = options.threads
            self.session = ort.InferenceSession(self.path, so, providers=["CPUExecutionProvider"])
        self.ready = True
        return True

    async def healthy(self) -> bool:
        return self.ready and not (options.not_ready_while and os.path.exists(options.not_ready_while))

    def _types(self, tensors):
        def dim(d):
            return d if isinstance(d, int) else -1
        return [{"name": t.name, "datatype": "FP16" if self.fp16 else ONNX_TO_V2.get(t.type, t.type), "shape": [dim(d) for d in t.shape]}
                for t in tensors]

    def get_input_types(self):
        return self._types(self.session.get_inputs())

    def get_output_types(self):
        return self._types(self.session.get_outputs())

    def predict(self, payload: InferRequest, headers=None) -> InferResponse:
        feeds = {i.name: i.as_numpy().astype(np.float32) for i in payload.inputs}
        wanted = [o.name for o in payload.request_outputs] if payload.request_outputs else [o.name for o in self.session.get_outputs()]
        outputs = []
        for name, y in zip(wanted, self.session.run(wanted, feeds)):
            if self.fp16:
                y = y.astype(np.float16)
            out = InferOutput(name=name, shape=list(y.shape), datatype="FP16" if self.fp16 else "FP32")
            out.set_data_from_numpy(y, binary_data=True)
            outputs.append(out)
        return InferResponse(response_id=payload.id, model_name=self.name, infer_outputs=outputs, use_binary_outputs=True)


def secure_grpc():
    """KServe binds its gRPC port in plaintext; wrap the aio server it creates with TLS and a token check."""
    make_server = grpc.aio.server

    class TokenCheck(grpc.aio.ServerInterceptor):
        async def intercept_service(self, continuation, details):
            health = details.method.endswith(("/ServerLive", "/ServerReady", "/ModelReady"))
            if health or dict(details.invocation_metadata).get("authorization") == f"Bearer {options.token}":
                return await continuation(details)

            async def deny(request, context):
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong bearer token")
            return grpc.unary_unary_rpc_method_handler(deny)

    def server(*args, **kwargs):
        if options.token:
            kwargs["interceptors"] = [TokenCheck(), *(kwargs.get("interceptors") or [])]
        s = make_server(*args, **kwargs)
        if options.tls_cert:
            with open(options.tls_key, "rb") as k, open(options.tls_cert, "rb") as c:
                creds = grpc.ssl_server_credentials([(k.read(), c.read())])
            s.add_insecure_port = lambda address: s.add_secure_port(address, creds)
        return s

    grpc.aio.server = server


def spec(text: str):
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        parser.error(f"expected NAME=FILE.onnx, got {text!r}")
    return name, path


if __name__ == "__main__":
    models = [OnnxModel(*spec(m), fp16=False) for m in options.model] + [OnnxModel(*spec(m), fp16=True) for m in options.fp16_model]
    if not models:
        parser.error("give at least one --model NAME=FILE.onnx")
    secure_grpc()
    print("serving " + " ".join(m.name for m in models), flush=True)
    kserve.ModelServer(http_port=options.http_port, grpc_port=options.grpc_port, workers=1).start(models)
