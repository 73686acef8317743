/** Complementary error function (Chebyshev fit, relative error below 1.2e-7 everywhere). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(poly);
  return x >= 0 ? r : 2 - r;
}

/** Standard normal cumulative distribution. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const TINY = 1e-300;

/** Probability mass of N(mu, sigma) on [a, b]: computed on the side of the mean where it stays accurate. */
export function normalMass(a: number, b: number, mu: number, sigma: number): number {
  const za = (a - mu) / sigma;
  const zb = (b - mu) / sigma;
  // Upper tail through erfc keeps precision when both bounds lie far above the mean.
  const mass = za > 0 ? normalCdf(-za) - normalCdf(-zb) : normalCdf(zb) - normalCdf(za);
  return Math.max(mass, TINY);
}

/** log density of N(mu, sigma) truncated to [low, high], at x inside the bounds. */
export function truncNormLogPdf(x: number, mu: number, sigma: number, low: number, high: number): number {
  const z = (x - mu) / sigma;
  return -0.5 * z * z - LOG_SQRT_2PI - Math.log(sigma) - Math.log(normalMass(low, high, mu, sigma));
}

/** A standard normal draw (Box–Muller) from a uniform generator. */
export function standardNormal(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** A draw of N(mu, sigma) truncated to [low, high], by rejection (sigma never exceeds the range here). */
export function sampleTruncNorm(
  rand: () => number,
  mu: number,
  sigma: number,
  low: number,
  high: number,
): number {
  for (let i = 0; i < 200; i++) {
    const x = mu + sigma * standardNormal(rand);
    if (x >= low && x <= high) return x;
  }
  // A kernel whose mass inside the bounds is negligible: fall back to the nearest bound's side.
  return Math.min(high, Math.max(low, mu));
}
