const NAMES: Record<string, string> = {
  accuracy: "Accuracy",
  val_accuracy: "Validation accuracy",
  f1: "F1",
  f1_macro: "F1 (macro average)",
  f1_micro: "F1 (micro average)",
  f1_weighted: "F1 (weighted average)",
  precision: "Precision",
  recall: "Recall",
  auc: "ROC AUC",
  roc_auc: "ROC AUC",
  log_loss: "Log loss",
  loss: "Loss",
  train_loss: "Training loss",
  val_loss: "Validation loss",
  mse: "MSE (mean squared error)",
  rmse: "RMSE (root mean squared error)",
  mae: "MAE (mean absolute error)",
  val_mae: "Validation MAE",
  mape: "MAPE (mean absolute percentage error)",
  r2: "R² (coefficient of determination)",
};

/** A metric key as people read it: a known name, else the key with `_` as spaces, first letter upper-case. */
export function metricDisplayName(key: string): string {
  const known = NAMES[key];
  if (known !== undefined) return known;
  const words = key.replace(/[_]+/g, " ").trim();
  return words === "" ? key : words.charAt(0).toUpperCase() + words.slice(1);
}
