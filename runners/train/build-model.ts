import type { TrainParams } from "../../core/config/schema.ts";
import type { Tf } from "./select-backend.ts";

export type BuildModelOptions = {
  inputWidth: number;
  /** Classes for classification, 1 for regression. */
  outputUnits: number;
  task: "classification" | "regression";
  params: TrainParams;
};

type Sequential = ReturnType<Tf["sequential"]>;

/** The MLP described by `train.params`, compiled: softmax + cross-entropy, or linear + MSE. */
export function buildModel(tf: Tf, opts: BuildModelOptions): Sequential {
  const { params } = opts;
  const model = tf.sequential();
  params.layers.forEach((layer, i) => {
    model.add(
      tf.layers.dense({
        units: layer.units,
        activation: layer.activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed: params.seed + i }),
        biasInitializer: "zeros",
        ...(i === 0 ? { inputShape: [opts.inputWidth] } : {}),
      }),
    );
    if (layer.dropout > 0)
      model.add(tf.layers.dropout({ rate: layer.dropout, seed: params.seed + 1000 + i }));
  });
  const classification = opts.task === "classification";
  model.add(
    tf.layers.dense({
      units: opts.outputUnits,
      activation: classification ? "softmax" : "linear",
      kernelInitializer: tf.initializers.glorotUniform({ seed: params.seed + params.layers.length }),
      ...(params.layers.length === 0 ? { inputShape: [opts.inputWidth] } : {}),
    }),
  );
  model.compile({
    optimizer: optimizer(tf, params),
    loss: classification ? "categoricalCrossentropy" : "meanSquaredError",
    metrics: classification ? ["accuracy"] : ["mae"],
  });
  return model;
}

function optimizer(tf: Tf, params: TrainParams) {
  switch (params.optimizer) {
    case "adam":
      return tf.train.adam(params.learningRate);
    case "sgd":
      return tf.train.sgd(params.learningRate);
    case "rmsprop":
      return tf.train.rmsprop(params.learningRate);
    case "adagrad":
      return tf.train.adagrad(params.learningRate);
  }
}
