import onnxProto from "onnx-proto";
import type { onnx as O } from "onnx-proto";
import type { Layer } from "../../core/config/schema.ts";

const { onnx } = onnxProto;

/** One dense layer's weights: kernel row-major `[inputs, units]`. */
export type DenseWeights = {
  kernel: Float32Array;
  bias: Float32Array;
  inputs: number;
  units: number;
  activation: Layer["activation"] | "softmax";
};

export type ExportOnnxOptions = {
  layers: DenseWeights[];
  task: "classification" | "regression";
  /** Stored as model metadata so a server can name classes without preprocess.json. */
  labels?: string[];
  metadata?: Record<string, string>;
  /** Regression trained on a scaled target: the graph ends with `· scale + offset` so it answers in the target's units. */
  targetScale?: { scale: number; offset: number };
};

export const ONNX_INPUT = "input";
export const ONNX_OPSET = 13;
export function onnxOutputName(task: "classification" | "regression"): "probabilities" | "prediction" {
  return task === "classification" ? "probabilities" : "prediction";
}

// tfjs's SELU constants, so the exported graph computes exactly what was trained.
const SELU_ALPHA = 1.6732632423543772;
const SELU_GAMMA = 1.0507009873554805;

function tensor(name: string, dims: number[], data: Float32Array): O.ITensorProto {
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes };
}

function valueInfo(name: string, width: number): O.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: "batch" }, { dimValue: width }] },
      },
    },
  };
}

/**
 * Serialises a stack of dense layers as an ONNX model (opset 13): Gemm per layer, then the
 * activation; input `input` FP32 [batch, width]; output `probabilities` (softmax) or `prediction`.
 */
export function exportOnnx(opts: ExportOnnxOptions): Uint8Array {
  const nodes: O.INodeProto[] = [];
  const initializer: O.ITensorProto[] = [];
  let current = ONNX_INPUT;
  const output = onnxOutputName(opts.task);
  const unscale = opts.targetScale;
  const modelOut = unscale ? "prediction.scaled" : output;
  opts.layers.forEach((layer, i) => {
    const last = i === opts.layers.length - 1;
    const w = `dense_${i}.kernel`;
    const b = `dense_${i}.bias`;
    initializer.push(
      tensor(w, [layer.inputs, layer.units], layer.kernel),
      tensor(b, [layer.units], layer.bias),
    );
    const gemmOut = last && layer.activation === "linear" ? modelOut : `dense_${i}.gemm`;
    nodes.push({ opType: "Gemm", input: [current, w, b], output: [gemmOut], name: `dense_${i}` });
    current = gemmOut;
    if (layer.activation === "linear") return;
    const actOut = last ? modelOut : `dense_${i}.out`;
    const node: O.INodeProto = { input: [current], output: [actOut], name: `dense_${i}.${layer.activation}` };
    switch (layer.activation) {
      case "relu":
        node.opType = "Relu";
        break;
      case "tanh":
        node.opType = "Tanh";
        break;
      case "sigmoid":
        node.opType = "Sigmoid";
        break;
      case "elu":
        node.opType = "Elu";
        node.attribute = [{ name: "alpha", type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 }];
        break;
      case "selu":
        node.opType = "Selu";
        node.attribute = [
          { name: "alpha", type: onnx.AttributeProto.AttributeType.FLOAT, f: SELU_ALPHA },
          { name: "gamma", type: onnx.AttributeProto.AttributeType.FLOAT, f: SELU_GAMMA },
        ];
        break;
      case "softmax":
        node.opType = "Softmax";
        node.attribute = [{ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: -1 }];
        break;
    }
    nodes.push(node);
    current = actOut;
  });
  if (unscale) {
    initializer.push(
      tensor("target.scale", [], Float32Array.of(unscale.scale)),
      tensor("target.offset", [], Float32Array.of(unscale.offset)),
    );
    nodes.push(
      {
        opType: "Mul",
        input: [modelOut, "target.scale"],
        output: ["prediction.times_scale"],
        name: "target.mul",
      },
      {
        opType: "Add",
        input: ["prediction.times_scale", "target.offset"],
        output: [output],
        name: "target.add",
      },
    );
  }
  const first = opts.layers[0];
  const lastLayer = opts.layers.at(-1);
  if (!first || !lastLayer) throw new Error("exportOnnx needs at least one layer");
  const metadataProps = Object.entries({
    ...opts.metadata,
    ...(opts.labels ? { labels: JSON.stringify(opts.labels) } : {}),
  }).map(([key, value]) => ({ key, value }));
  const model: O.IModelProto = {
    irVersion: 7,
    producerName: "modelship",
    producerVersion: "1",
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    metadataProps,
    graph: {
      name: "modelship_mlp",
      node: nodes,
      initializer,
      input: [valueInfo(ONNX_INPUT, first.inputs)],
      output: [valueInfo(output, lastLayer.units)],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
