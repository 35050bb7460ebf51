package dev.resnet4j;

import dev.resnet4j.nn.Module;
import dev.resnet4j.tensor.Tensor;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Java twin of tools/fixture_weights.py: fills tensors from SplitMix64 over
 * (crc32(name) << 32) + index, so parity fixtures need not carry the weights.
 */
public final class FixtureWeights {
    private FixtureWeights() {
    }

    public static double[] uniform01(String name, int n) {
        CRC32 crc = new CRC32();
        crc.update(name.getBytes(StandardCharsets.UTF_8));
        long seed = crc.getValue();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            long z = (seed << 32) + i + 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z = z ^ (z >>> 31);
            out[i] = (double) (z >>> 40) / (1 << 24);
        }
        return out;
    }

    public static Tensor uniform(String name, double lo, double hi, int... shape) {
        Tensor t = Tensor.zeros(shape);
        fill(t, name, lo, hi);
        return t;
    }

    static void fill(Tensor t, String name, double lo, double hi) {
        double[] u = uniform01(name, t.size());
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (lo + (hi - lo) * u[i]);
        }
    }

    /** The same per-key ranges as value_range() in the Python twin; null leaves the tensor. */
    static double[] range(String key, int[] shape) {
        if (key.endsWith("num_batches_tracked")) {
            return null;
        }
        if (key.endsWith("running_mean") || (key.endsWith("bias") && shape.length == 1 && !key.startsWith("fc"))) {
            return new double[]{-0.2, 0.2};
        }
        if (key.endsWith("running_var")) {
            return new double[]{0.5, 1.5};
        }
        if (shape.length == 4) {
            double a = Math.sqrt(3.0 * 2.0 / (shape[1] * shape[2] * shape[3]));
            return new double[]{-a, a};
        }
        if (key.startsWith("fc")) {
            if (shape.length != 2) {
                return new double[]{-0.05, 0.05};
            }
            double b = 0.1 / Math.sqrt(shape[1]);
            return new double[]{-b, b};
        }
        if (key.endsWith("weight") && shape.length == 1) {
            return new double[]{0.5, 1.5};
        }
        throw new IllegalArgumentException("no fixture rule for " + key);
    }

    /** Overwrites every parameter and buffer of {@code model} as the Python generator does. */
    public static void fill(Module model) {
        for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
            double[] r = range(e.getKey(), e.getValue().shape());
            if (r != null) {
                fill(e.getValue(), e.getKey(), r[0], r[1]);
            }
        }
    }
}
