/**
 * What `@tensorflow/tfjs-node-gpu` loads on a GPU runner, and the CUDA image that provides it: the
 * one table the runner image (runners/gpu/Dockerfile), package.json and docs/training.md follow.
 *
 * tfjs-node-gpu's install script downloads a prebuilt libtensorflow (scripts/deps-constants.js,
 * LIBTENSORFLOW_VERSION). That build links against the CUDA and cuDNN TensorFlow lists for its
 * version under "Tested build configurations"; an image with other majors (CUDA 12, cuDNN 9) makes
 * libtensorflow fall back to the CPU, silently apart from its log.
 */
export const TFJS_GPU_STACK = {
  package: "@tensorflow/tfjs-node-gpu",
  packageVersion: "4.22.0",
  libtensorflow: "2.9.1",
  cuda: "11.2",
  cudnn: "8.1",
  /** nvidia/cuda keeps the last patch release of each CUDA minor; 11.2.2 ships cuDNN 8.1.1. */
  image: "nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04",
} as const;
