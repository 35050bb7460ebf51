package dev.resnet4j.nn;

import dev.resnet4j.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * Seeded weight initialisers. The generator is {@link SplittableRandom} (its algorithm is
 * fixed by the JDK specification), with our own Box–Muller transform, so a seed gives the
 * same model on every JDK version.
 */
public final class Init {
    private final SplittableRandom rng;

    public Init(long seed) {
        this.rng = new SplittableRandom(seed);
    }

    /** Fills {@code t} with samples of N(mean, std²). */
    public void normal(Tensor t, double mean, double std) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i += 2) {
            double u1 = rng.nextDouble();
            double u2 = rng.nextDouble();
            double r = Math.sqrt(-2.0 * Math.log(1.0 - u1)); // 1-u1 in (0,1]: never log(0)
            double a = 2.0 * Math.PI * u2;
            d[i] = (float) (mean + std * r * Math.cos(a));
            if (i + 1 < d.length) {
                d[i + 1] = (float) (mean + std * r * Math.sin(a));
            }
        }
    }

    /** Fills {@code t} with samples of U(lo, hi). */
    public void uniform(Tensor t, double lo, double hi) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        }
    }
}
