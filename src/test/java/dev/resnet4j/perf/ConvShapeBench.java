package dev.resnet4j.perf;

import dev.resnet4j.kernels.Convolution;
import dev.resnet4j.tensor.Parallel;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;

/**
 * Forward and backward time of each distinct resnet18 convolution at one input size and
 * batch, on the calling thread's CPU clock (1 thread: immune to other load on the machine).
 * Args: input size (28, 32, 224), batch, channels of the stem input, reps, [index of one conv].
 */
public final class ConvShapeBench {
    private ConvShapeBench() {
    }

    public static void main(String[] args) {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 28;
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int inC = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        int only = args.length > 4 ? Integer.parseInt(args[4]) : -1; // index of one convolution
        Parallel.setThreads(1);
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        int h = (size + 6 - 7) / 2 + 1;
        int m = (h + 2 - 3) / 2 + 1;
        int[][] convs = {
            {inC, size, 64, 7, 2, 3},
            {64, m, 64, 3, 1, 1},
            {64, m, 128, 3, 2, 1}, {128, (m + 1) / 2, 128, 3, 1, 1}, {64, m, 128, 1, 2, 0},
        };
        java.util.List<int[]> all = new java.util.ArrayList<>(Arrays.asList(convs));
        int hh = (m + 1) / 2;
        for (int c = 128; c < 512; c *= 2) {
            all.add(new int[]{c, hh, 2 * c, 3, 2, 1});
            all.add(new int[]{2 * c, (hh + 1) / 2, 2 * c, 3, 1, 1});
            all.add(new int[]{c, hh, 2 * c, 1, 2, 0});
            hh = (hh + 1) / 2;
        }
        Random r = new Random(1);
        double totF = 0, totB = 0;
        for (int ci = 0; ci < all.size(); ci++) {
            int[] cv = all.get(ci);
            if (only >= 0 && ci != only) {
                continue;
            }
            Convolution.Shape s = new Convolution.Shape(n, cv[0], cv[1], cv[1], cv[2], cv[3], cv[3], cv[4], cv[5]);
            float[] x = rand(r, n * cv[0] * cv[1] * cv[1]);
            float[] w = rand(r, cv[2] * cv[0] * cv[3] * cv[3]);
            float[] y = new float[n * cv[2] * s.oh() * s.ow()];
            float[] dy = rand(r, y.length);
            float[] dx = new float[x.length];
            float[] dw = new float[w.length];
            Convolution.Saved keep = new Convolution.Saved();
            double[] f = new double[reps];
            double[] b = new double[reps];
            for (int i = 0; i < reps + 2; i++) {
                long t0 = tm.getCurrentThreadCpuTime();
                Convolution.forward(s, x, w, null, null, false, y, keep);
                long t1 = tm.getCurrentThreadCpuTime();
                Convolution.backward(s, x, w, dy, dx, dw, null, keep);
                long t2 = tm.getCurrentThreadCpuTime();
                if (i >= 2) {
                    f[i - 2] = (t1 - t0) / 1e6;
                    b[i - 2] = (t2 - t1) / 1e6;
                }
            }
            Arrays.sort(f);
            Arrays.sort(b);
            double flops = 2.0 * n * cv[2] * s.oh() * s.ow() * cv[0] * cv[3] * cv[3];
            System.out.printf("C%4d H%4d -> %4d k%d s%d: fwd %7.2f ms (%5.1f GF/s)  bwd %7.2f ms (%5.1f GF/s)%n",
                    cv[0], cv[1], cv[2], cv[3], cv[4], f[reps / 2], flops / f[reps / 2] / 1e6, b[reps / 2],
                    2 * flops / b[reps / 2] / 1e6);
            int mult = (cv[0] == cv[2] && cv[3] == 3 && cv[4] == 1) ? (cv[0] == 64 ? 4 : 3) : 1;
            totF += mult * f[reps / 2];
            totB += mult * b[reps / 2];
        }
        System.out.printf("resnet18 conv total (1 thread CPU): fwd %.1f ms, bwd %.1f ms%n", totF, totB);
    }

    private static float[] rand(Random r, int len) {
        float[] a = new float[len];
        for (int i = 0; i < len; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }
}
