/**
 * Replicas of each colour when a Service's selector spans both and kube-proxy shares requests by
 * pod count: the side with the larger weight runs `total` pods, the other its proportion (rounded
 * up, so a non-zero weight gets at least one pod). Capacity never drops below `total`, and the
 * share each side really gets, `effectiveWeight`, is what the pod counts give, which with few
 * replicas is coarser than asked (2 replicas at 10% → 1 candidate pod of 3, 33%).
 */
export function splitReplicas(
  total: number,
  weight: number,
): { stable: number; candidate: number; effectiveWeight: number } {
  const w = Math.min(100, Math.max(0, weight));
  let stable = total;
  let candidate = 0;
  if (w >= 100) [stable, candidate] = [0, total];
  else if (w > 50) [stable, candidate] = [Math.ceil((total * (100 - w)) / w), total];
  else if (w > 0) candidate = Math.ceil((total * w) / (100 - w));
  const all = stable + candidate;
  return { stable, candidate, effectiveWeight: all === 0 ? 0 : Math.round((candidate / all) * 1000) / 10 };
}
