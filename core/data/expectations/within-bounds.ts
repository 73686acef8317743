/** GE's min_value / max_value / strict_min / strict_max, a null or absent bound meaning none. */
export type Bounds = {
  min_value?: number | null | undefined;
  max_value?: number | null | undefined;
  strict_min?: boolean;
  strict_max?: boolean;
};

/** Whether `x` is within `b`; NaN never is. */
export function withinBounds(x: number, b: Bounds): boolean {
  if (Number.isNaN(x)) return false;
  if (b.min_value !== undefined && b.min_value !== null) {
    if (b.strict_min ? x <= b.min_value : x < b.min_value) return false;
  }
  if (b.max_value !== undefined && b.max_value !== null) {
    if (b.strict_max ? x >= b.max_value : x > b.max_value) return false;
  }
  return true;
}
