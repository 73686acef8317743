/** The server arguments a pod gets from deploy.kubernetes.predictionLog (on by default) with monitoring's defaults. */
export const POD_PREDICTION_LOG_ARGS = [
  "--prediction-log",
  "/var/lib/modelship/predictions",
  "--log-sample-rate",
  "1",
  "--log-max-mb",
  "100",
  "--log-rotate-mb",
  "10",
  "--log-max-record-kb",
  "64",
];
