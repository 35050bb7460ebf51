package dev.resnet4j.kernels;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * Settings A/B/C of one call in one JVM: the settings take turns call by call, each going first
 * in turn, so that a busy phase of the shared machine hits them alike. Used by the kernel
 * benches that compare a tuning parameter's values.
 */
final class Alternating {
    private Alternating() {
    }

    /**
     * The median time in ms of {@code call} under each of {@code settings} settings
     * ({@code apply} switches to setting v), over {@code iters} timed rounds after 5 untimed ones.
     */
    static double[] medians(int settings, int iters, IntConsumer apply, Runnable call) {
        double[][] t = new double[settings][iters];
        for (int it = -5; it < iters; it++) {
            for (int v = 0; v < settings; v++) {
                int q = (it + 5 + v) % settings;
                apply.accept(q);
                long t0 = System.nanoTime();
                call.run();
                if (it >= 0) {
                    t[q][it] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        double[] med = new double[settings];
        for (int v = 0; v < settings; v++) {
            Arrays.sort(t[v]);
            med[v] = t[v][iters / 2];
        }
        return med;
    }
}
