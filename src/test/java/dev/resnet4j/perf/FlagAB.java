package dev.resnet4j.perf;

import dev.resnet4j.models.ResNet;
import dev.resnet4j.models.ResNets;
import dev.resnet4j.tensor.Parallel;
import dev.resnet4j.tensor.Tensor;

import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.Random;

/**
 * A/B of one switch in one JVM and one class loader: a static field (boolean, int or long, e.g.
 * {@code dev.resnet4j.kernels.PackedConv.GROUP_MAJOR}) is set to each value in turn between
 * whole inference forwards of resnet18 (1000 classes, 3×224×224), the order rotating every
 * iteration. Unlike {@link AbForward} the settings share one copy of the model and of the
 * compiled code: two class loaders place their arrays at other cache-line offsets, and identical
 * builds differed there by up to 0.9 ms at batch 1. Only for switches read at every call.
 * Args: batch, timed iterations, class.field, comma-separated values; {@code -Dthreads=2}. With
 * {@code -DperValue=true} each value has its own copy of the model (same seed, so the same
 * weights), its first forward made under that value: for switches read when a plan's buffers
 * are made (e.g. {@code dev.resnet4j.kernels.Align.ACTIVATIONS}).
 */
public final class FlagAB {
    private FlagAB() {
    }

    public static void main(String[] args) throws Exception {
        int batch = Integer.parseInt(args[0]);
        int iters = Integer.parseInt(args[1]);
        String name = args[2];
        Field f = Class.forName(name.substring(0, name.lastIndexOf('.')))
                .getDeclaredField(name.substring(name.lastIndexOf('.') + 1));
        f.setAccessible(true);
        String[] values = args[3].split(",");
        Parallel.setThreads(Integer.getInteger("threads", 2));
        boolean perValue = Boolean.getBoolean("perValue");
        ResNet[] nets = new ResNet[perValue ? values.length : 1];
        for (int k = 0; k < nets.length; k++) {
            nets[k] = ResNets.create("resnet18", 1000, false, 1);
            nets[k].eval();
        }
        Tensor x = Tensor.zeros(batch, 3, 224, 224);
        Random r = new Random(3);
        float[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextGaussian();
        }
        Object original = f.get(null);
        if (perValue) {
            for (int k = 0; k < values.length; k++) {
                set(f, values[k]);
                nets[k].forward(x); // its plan and buffers made under this value
            }
        }
        long[][] t = new long[values.length][iters];
        for (int it = -Math.max(10, iters / 3); it < iters; it++) {
            for (int k0 = 0; k0 < values.length; k0++) {
                int k = Math.floorMod(k0 + it, values.length);
                set(f, values[k]);
                long t0 = System.nanoTime();
                nets[perValue ? k : 0].forward(x);
                if (it >= 0) {
                    t[k][it] = System.nanoTime() - t0;
                }
            }
        }
        f.set(null, original);
        System.out.printf("resnet18 3x224x224, batch %d, %d threads, %d iterations each, alternating (ms)%n", batch,
                Parallel.threads(), iters);
        for (int k = 0; k < values.length; k++) {
            Arrays.sort(t[k]);
            System.out.printf("  %s=%-8s min %7.2f  q1 %7.2f  median %7.2f%n", name, values[k], t[k][0] / 1e6,
                    t[k][iters / 4] / 1e6, t[k][iters / 2] / 1e6);
        }
    }

    private static void set(Field f, String value) throws IllegalAccessException {
        if (f.getType() == boolean.class) {
            f.setBoolean(null, Boolean.parseBoolean(value));
        } else if (f.getType() == int.class) {
            f.setInt(null, Integer.parseInt(value));
        } else if (f.getType() == long.class) {
            f.setLong(null, Long.parseLong(value));
        } else {
            throw new IllegalArgumentException(f + ": only boolean, int and long fields");
        }
    }
}
