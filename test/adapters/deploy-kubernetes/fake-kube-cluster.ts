import { KubeConfig } from "@kubernetes/client-node";
import { startFakeKubeApi, type FakeKubeApi } from "./fake-kube-api.ts";
import { startFakeV2Pod, type FakeV2Pod } from "./fake-v2-pod.ts";

/** The fake API server with model `iris`'s blue and green pods behind its Service proxy. */
export type FakeKubeCluster = {
  api: FakeKubeApi;
  blue: FakeV2Pod;
  green: FakeV2Pod;
  close(): Promise<void>;
};

/** Starts the fake API server and one fake pod per colour, each answering as version `versions[colour]`. */
export async function startFakeKubeCluster(versions: {
  blue: string;
  green: string;
}): Promise<FakeKubeCluster> {
  const api = await startFakeKubeApi();
  const blue = await startFakeV2Pod({ name: "iris", version: versions.blue });
  const green = await startFakeV2Pod({ name: "iris", version: versions.green });
  api.backend("iris-blue", blue.url);
  api.backend("iris-green", green.url);
  return {
    api,
    blue,
    green,
    close: async () => {
      await Promise.all([api.close(), blue.close(), green.close()]);
    },
  };
}

/** A client config for the fake API server at `server` (TLS unchecked, any token), in `namespace`. */
export function fakeKubeConfig(server: string, namespace: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "fake", server, skipTLSVerify: true }],
    users: [{ name: "ci", token: "test-token" }],
    contexts: [{ name: "fake", cluster: "fake", user: "ci", namespace }],
    currentContext: "fake",
  });
  return kc;
}

/** The same config as a kubeconfig file's text (JSON is YAML), as a workflow writes it from a secret. */
export function fakeKubeconfigFile(server: string, namespace: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "fake", cluster: { server, "insecure-skip-tls-verify": true } }],
    users: [{ name: "ci", user: { token: "test-token" } }],
    contexts: [{ name: "fake", context: { cluster: "fake", user: "ci", namespace } }],
    "current-context": "fake",
  });
}
