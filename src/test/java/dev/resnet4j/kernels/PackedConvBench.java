package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

import java.util.Arrays;
import java.util.Random;

/**
 * {@link PackedConv} against the path the plan would take otherwise (Winograd where it
 * applies, else {@link Convolution}), interleaved in one JVM, with several copies of the
 * weights used in turn so that they come from memory as in a network; and PackedConv with the
 * channels-last copy value by value. Args: iterations, threads; {@code -Dbatch=N}, {@code -Dshapes=...},
 * {@code -Dcopies=N} (weight copies cycled; 1 keeps them in cache).
 */
public final class PackedConvBench {
    private PackedConvBench() {
    }


    public static void main(String[] args) {
        int iters = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int n = Integer.getInteger("batch", 1);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Parallel.setThreads(threads);
        PackedConv.MAX_PIXELS = Integer.MAX_VALUE;
        // -Dshapes=c,h,outC,k,stride,pad;... (square maps and kernels), else ResNet's at 224 px
        String spec = System.getProperty("shapes",
                "3,224,64,7,2,3;64,56,64,3,1,1;64,56,128,1,2,0;64,56,128,3,2,1;128,28,128,3,1,1;"
                        + "128,28,256,1,2,0;128,28,256,3,2,1;256,14,256,3,1,1;256,14,512,1,2,0;256,14,512,3,2,1;"
                        + "512,7,512,3,1,1;1024,14,256,1,1,0;2048,7,512,1,1,0");
        int[][] shapes = Arrays.stream(spec.split(";"))
                .map(t -> Arrays.stream(t.split(",")).mapToInt(Integer::parseInt).toArray()).toArray(int[][]::new);
        Random r = new Random(1);
        for (int[] d : shapes) {
            Convolution.Shape s = new Convolution.Shape(n, d[0], d[1], d[1], d[2], d[3], d[3], d[4], d[5]);
            float[] x = new float[n * d[0] * d[1] * d[1]];
            float[] w = new float[d[2] * d[0] * d[3] * d[3]];
            float[] b = new float[d[2]];
            for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() - 0.5f;
            for (int i = 0; i < w.length; i++) w[i] = (r.nextFloat() - 0.5f) * 0.1f;
            for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() - 0.5f;
            float[] res = new float[n * d[2] * s.oh() * s.ow()];
            for (int i = 0; i < res.length; i++) res[i] = r.nextFloat() - 0.5f;
            float[] y0 = new float[res.length];
            float[] y1 = new float[res.length];
            int m = Winograd.tileFor(s);
            float[] u = m == 0 ? null : Winograd.transformWeights(m, w, d[2], d[0]);
            // several copies of the weights, used in turn, so that they come from memory as in a
            // network (-Dcopies=1: the same weights every call, hot in cache, to see what streaming costs)
            int copies = Integer.getInteger("copies", (int) Math.max(1, (64L << 20) / (4L * w.length)));
            float[][] wps = new float[copies][];
            float[][] ws = new float[copies][];
            float[][] us = new float[copies][];
            for (int q = 0; q < copies; q++) {
                ws[q] = w.clone();
                wps[q] = PackedConv.pack(w, d[2], d[0], d[3] * d[3]);
                us[q] = u == null ? null : u.clone();
            }
            long[] ta = new long[iters];
            long[] tb = new long[iters];
            long[] tc = new long[iters];
            for (int it = -iters / 4; it < iters; it++) {
                int q = (it + iters) % copies;
                long t0 = System.nanoTime();
                if (m != 0) {
                    Winograd.forward(m, s, x, us[q], b, res, true, y0);
                } else {
                    Convolution.forward(s, x, ws[q], b, res, true, y0);
                }
                long t1 = System.nanoTime();
                PackedConv.GATHER = true;
                PackedConv.forward(s, x, wps[q], b, res, true, y1);
                long t2 = System.nanoTime();
                PackedConv.GATHER = false;
                PackedConv.forward(s, x, wps[(q + 1) % copies], b, res, true, y1);
                long t3 = System.nanoTime();
                if (it >= 0) {
                    ta[it] = t1 - t0;
                    tb[it] = t2 - t1;
                    tc[it] = t3 - t2;
                }
            }
            Arrays.sort(tc);
            double diff = 0;
            for (int i = 0; i < y0.length; i++) diff = Math.max(diff, Math.abs(y0[i] - y1[i]));
            Arrays.sort(ta);
            Arrays.sort(tb);
            double gf = 2.0 * n * d[2] * d[0] * d[3] * d[3] * s.oh() * s.ow();
            System.out.printf("%-28s current(%s) %.3f ms  packed %.3f ms  (%.0f GFLOP/s) no-gather %.3f  maxdiff %.2e%n",
                    s.c() + "->" + s.outC() + " " + d[3] + "x" + d[3] + "/" + d[4] + " @" + d[1],
                    m == 0 ? "direct" : "F" + m, ta[iters / 2] / 1e6, tb[iters / 2] / 1e6,
                    gf / tb[iters / 2], tc[iters / 2] / 1e6, diff);
        }
    }
}
