/**
 * Penguins with a tiny network and 4 epochs, for sweeps: each trial trains in about a second.
 * `search` is the YAML of `train.search` (indented by four spaces); `primary` the metric judged.
 */
export function penguinsSweepConfig(search: string, primary = "accuracy"): string {
  return `model:
  name: penguins
  task: classification
  target: species
  features: [bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g]
data:
  source: [data/penguins.json]
  validationSplit: 0.25
  seed: 7
  transforms:
    - { op: impute, column: bill_length_mm, strategy: median }
    - { op: impute, column: bill_depth_mm, strategy: median }
    - { op: impute, column: flipper_length_mm, strategy: median }
    - { op: impute, column: body_mass_g, strategy: median }
    - { op: standardize, column: bill_length_mm }
    - { op: standardize, column: bill_depth_mm }
    - { op: standardize, column: flipper_length_mm }
    - { op: standardize, column: body_mass_g }
train:
  params:
    layers: [{ units: 4, activation: relu }]
    optimizer: adam
    epochs: 4
    batchSize: 64
  search:
${search}
metrics:
  primary: ${primary}
`;
}
