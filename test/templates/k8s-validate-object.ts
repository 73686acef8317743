import { AnalysisTemplate, Rollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1";
import { DestinationRule, VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1beta1";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { ConfigMap, Pod, Service, ServiceAccount } from "kubernetes-models/v1";

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "apps/v1 Deployment": Deployment,
  "v1 Service": Service,
  "v1 ServiceAccount": ServiceAccount,
  "rbac.authorization.k8s.io/v1 Role": Role,
  "rbac.authorization.k8s.io/v1 RoleBinding": RoleBinding,
  "autoscaling/v2 HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1 PodDisruptionBudget": PodDisruptionBudget,
  "argoproj.io/v1alpha1 Rollout": Rollout,
  "argoproj.io/v1alpha1 AnalysisTemplate": AnalysisTemplate,
  "networking.istio.io/v1beta1 VirtualService": VirtualService,
  "networking.istio.io/v1beta1 DestinationRule": DestinationRule,
  "monitoring.coreos.com/v1 ServiceMonitor": ServiceMonitor,
  "networking.k8s.io/v1 Ingress": Ingress,
  "batch/v1 Job": Job,
  "v1 Pod": Pod,
  "v1 ConfigMap": ConfigMap,
};

/** Validates a plain manifest object against the official schema for its apiVersion and kind. */
export function validateManifest(doc: { apiVersion?: unknown; kind?: unknown }): void {
  const model = MODELS[`${String(doc.apiVersion)} ${String(doc.kind)}`];
  if (!model) throw new Error(`no schema for ${String(doc.apiVersion)} ${String(doc.kind)}`);
  new model(structuredClone(doc) as never).validate();
}
