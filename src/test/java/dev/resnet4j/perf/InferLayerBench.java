package dev.resnet4j.perf;

import dev.resnet4j.kernels.ConvMaxPool;
import dev.resnet4j.kernels.PackedStem;
import dev.resnet4j.kernels.Convolution;
import dev.resnet4j.kernels.Gemm;
import dev.resnet4j.kernels.PackedConv;
import dev.resnet4j.kernels.PaddedWinograd;
import dev.resnet4j.kernels.Pooling;
import dev.resnet4j.kernels.Winograd;
import dev.resnet4j.tensor.Parallel;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Per-layer wall time of ResNet-18's folded eval forward at 3×224×224, replaying the same
 * kernel calls as {@code FoldedInference} (convolutions with bias, residual and ReLU fused;
 * the stem and the max-pool in one pass, as PackedStem runs them into the padded layout, or
 * ConvMaxPool where it does not apply; the head is left out, it is under 1 %), Winograd where the plan would use it
 * ({@code -Dresnet4j.winograd=off} to compare). Each convolution writes into its own buffer,
 * allocated once, as FoldedInference reuses its buffers (a fresh array per call would put
 * its zeroing and page faults into the layer's time: ~1 ms a layer at batch 16).
 * Args: batch, iterations, threads. Prints the median per layer and the total, with the
 * process CPU time per iteration.
 */
public final class InferLayerBench {
    private InferLayerBench() {
    }

    private record Conv(String name, Convolution.Shape s, float[] w, float[] b, int tile, float[] u, float[] wp,
                        float[] out, float[] outPadded, float[] uPadded) {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int iters = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int warmup = Integer.getInteger("warmup", 8);
        Parallel.setThreads(threads);
        try {
            Gemm.awaitVectorKernel(120_000); // the plan choices below depend on it
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        Random r = new Random(7);
        float[] x = rand(r, n * 3 * 224 * 224);
        Map<String, List<Double>> times = new LinkedHashMap<>();
        List<Double> total = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        // stem
        Conv stem = conv(r, "stem 7x7/2 3->64", n, 3, 224, 64, 7, 2, 3);
        List<Conv[]> blocks = new ArrayList<>(); // {conv1, conv2, shortcut or null}
        int c = 64;
        int h = 56;
        for (int stage = 0; stage < 4; stage++) {
            int out = 64 << stage;
            int stride = stage == 0 ? 1 : 2;
            int oh = h / stride;
            String l = "layer" + (stage + 1);
            blocks.add(new Conv[]{
                conv(r, l + ".0.conv1 3x3/" + stride + " " + c + "->" + out + " @" + h, n, c, h, out, 3, stride, 1),
                conv(r, l + ".0.conv2 3x3 " + out + " @" + oh, n, out, oh, out, 3, 1, 1),
                stride == 1 ? null : conv(r, l + ".0.down 1x1/2 " + c + "->" + out, n, c, h, out, 1, 2, 0)});
            blocks.add(new Conv[]{
                conv(r, l + ".1.conv1 3x3 " + out + " @" + oh, n, out, oh, out, 3, 1, 1),
                conv(r, l + ".1.conv2 3x3 " + out + " @" + oh, n, out, oh, out, 3, 1, 1), null});
            c = out;
            h = oh;
        }
        float[] p = new float[n * 64 * 56 * 56];
        float[] stemOut = new float[n * 64 * 112 * 112];
        // as FoldedInference: every run of blocks whose convolutions all suit the padded
        // channels-last form keeps its activations in that layout
        boolean[] inRun = new boolean[blocks.size() + 1]; // the last entry false: every run ends
        float[][] padIn = new float[blocks.size()][];
        float[][] back = new float[blocks.size() + 1][];
        for (int k = 0; k < blocks.size(); k++) {
            inRun[k] = java.util.Arrays.stream(blocks.get(k)).allMatch(cv -> cv == null
                    || cv.tile() == 4 && cv.uPadded() != null && PaddedWinograd.applies(cv.s())
                    || PackedConv.appliesPadded(cv.s()) && (cv.s().kh() == 1 && cv.s().stride() > 1
                    || cv.wp() != null));
        }
        for (int k = 0; k < blocks.size(); k++) {
            Convolution.Shape in = blocks.get(k)[0].s();
            if (inRun[k] && (k == 0 || !inRun[k - 1])) {
                padIn[k] = new float[PackedConv.paddedSize(n, in.c(), in.h(), in.w())];
            }
            if (inRun[k] && !inRun[k + 1]) {
                Convolution.Shape out = blocks.get(k)[1].s();
                back[k + 1] = new float[n * out.outC() * out.oh() * out.ow()];
            }
        }
        // the stem as FoldedInference runs it: PackedStem into the padded layout where it applies
        boolean packedStem = PackedStem.applies(stem.s, 3, 2, 1);
        float[] stemPacked = packedStem ? PackedStem.pack(stem.w, 64, 3, 7, 7) : null;
        float[] stemPadded = packedStem ? new float[PackedConv.paddedSize(n, 64, 56, 56)] : null;
        for (int it = 0; it < warmup + iters; it++) {
            boolean rec = it >= warmup;
            long c0 = cpuNanos();
            long t0 = now();
            long t = now();
            float[] a;
            boolean padded = false;
            if (packedStem) {
                PackedStem.forward(stem.s, x, stemPacked, stem.b, true, 3, 2, 1, stemPadded);
                note(times, stem.name + " + maxpool", t, rec);
                padded = true;
                if (!inRun[0]) {
                    t = now();
                    PackedConv.fromPadded(n, 64, 56, 56, stemPadded, p);
                    note(times, "stem back to NCHW", t, rec);
                    padded = false;
                }
            } else if (ConvMaxPool.forward(stem.s, x, stem.w, stem.b, true, 3, 2, 1, p)) {
                note(times, stem.name + " + maxpool", t, rec); // as FoldedInference runs them: fused
            } else {
                Convolution.forward(stem.s, x, stem.w, stem.b, null, true, stemOut);
                note(times, stem.name, t, rec);
                t = now();
                Pooling.maxPool(stemOut, n * 64, 112, 112, 3, 2, 1, p);
                note(times, "maxpool 3x3/2", t, rec);
            }
            a = padded ? stemPadded : p;
            for (int k = 0; k < blocks.size(); k++) {
                Conv[] b = blocks.get(k);
                if (!inRun[k]) {
                    if (k > 0 && inRun[k - 1]) {
                        Convolution.Shape out = blocks.get(k - 1)[1].s();
                        t = now();
                        PackedConv.fromPadded(n, out.outC(), out.oh(), out.ow(), a, back[k]);
                        note(times, "back to NCHW (" + b[0].name().substring(0, b[0].name().indexOf(".conv"))
                                + " input)", t, rec);
                        a = back[k];
                    }
                    float[] id = b[2] == null ? a : run(b[2], a, null, false, times, rec);
                    float[] mid = run(b[0], a, null, true, times, rec);
                    a = run(b[1], mid, id, true, times, rec);
                    continue;
                }
                if ((k == 0 || !inRun[k - 1]) && !(k == 0 && padded)) {
                    Convolution.Shape in = b[0].s();
                    t = now();
                    PackedConv.toPadded(n, in.c(), in.h(), in.w(), a, padIn[k]);
                    note(times, "to channels last (" + b[0].name().substring(0, b[0].name().indexOf(".conv")) + " input)",
                            t, rec);
                    a = padIn[k];
                }
                float[] id = b[2] == null ? a : runPadded(b[2], a, null, false, times, rec);
                float[] mid = runPadded(b[0], a, null, true, times, rec);
                a = runPadded(b[1], mid, id, true, times, rec);
            }
            if (rec) {
                total.add((now() - t0) / 1e6);
                cpu.add((cpuNanos() - c0) / 1e6);
            }
        }
        System.out.printf("batch %d, threads %d, %d iterations (medians, ms)%n", n, threads, iters);
        double sum = 0;
        for (var e : times.entrySet()) {
            double m = median(e.getValue());
            sum += m;
            System.out.printf("  %-34s %8.2f%n", e.getKey(), m);
        }
        System.out.printf("  %-34s %8.2f%n", "sum of medians", sum);
        System.out.printf("  %-34s %8.2f  (%.1f img/s)  cpu %.2f ms%n", "total", median(total),
                n * 1000 / median(total), median(cpu));
    }

    private static float[] run(Conv cv, float[] x, float[] res, boolean relu, Map<String, List<Double>> times,
                               boolean rec) {
        float[] y = cv.out; // reused, as FoldedInference reuses its buffers: no page faults in the timing
        long t = now();
        if (cv.tile != 0) {
            Winograd.forward(cv.tile, cv.s, x, cv.u, cv.b, res, relu, y);
        } else if (cv.wp != null) {
            PackedConv.forward(cv.s, x, cv.wp, cv.b, res, relu, y);
        } else {
            Convolution.forward(cv.s, x, cv.w, cv.b, res, relu, y);
        }
        note(times, cv.name, t, rec);
        return y;
    }

    /** One convolution of the padded channels-last chain ({@link PackedConv#forwardPadded}). */
    private static float[] runPadded(Conv cv, float[] x, float[] res, boolean relu, Map<String, List<Double>> times,
                                     boolean rec) {
        boolean winograd = cv.tile == 4 && cv.uPadded != null && PaddedWinograd.applies(cv.s);
        float[] wp = winograd ? cv.uPadded
                : cv.wp != null ? cv.wp : PackedConv.pack(cv.w, cv.s.outC(), cv.s.c(), cv.s.kh() * cv.s.kw());
        long t = now();
        if (winograd) {
            PaddedWinograd.forward(cv.s, x, wp, cv.b, res, relu, cv.outPadded);
        } else {
            PackedConv.forwardPadded(cv.s, x, wp, cv.b, res, relu, cv.outPadded);
        }
        note(times, cv.name, t, rec);
        return cv.outPadded;
    }

    private static void note(Map<String, List<Double>> times, String k, long t0, boolean rec) {
        if (rec) {
            times.computeIfAbsent(k, q -> new ArrayList<>()).add((now() - t0) / 1e6);
        }
    }

    private static Conv conv(Random r, String name, int n, int c, int h, int out, int k, int stride, int pad) {
        Convolution.Shape s = new Convolution.Shape(n, c, h, h, out, k, k, stride, pad);
        float[] w = rand(r, out * c * k * k);
        float scale = (float) Math.sqrt(2.0 / (c * k * k));
        for (int i = 0; i < w.length; i++) {
            w[i] *= scale;
        }
        int tile = Winograd.tileFor(s);
        if (PackedConv.applies(s, tile)) { // as FoldedInference decides
            return new Conv(name, s, w, rand(r, out), 0, null, PackedConv.pack(w, out, c, k * k), output(s),
                    padded(s), null);
        }
        float[] u = tile == 0 ? null : Winograd.transformWeights(tile, w, out, c);
        return new Conv(name, s, w, rand(r, out), tile, u, null, output(s), padded(s),
                tile == 4 && out % 32 == 0 ? PaddedWinograd.pack(u, out, c) : null);
    }

    private static float[] padded(Convolution.Shape s) {
        return new float[PackedConv.paddedSize(s.n(), s.outC(), s.oh(), s.ow())];
    }

    private static float[] output(Convolution.Shape s) {
        return new float[s.n() * s.outC() * s.oh() * s.ow()];
    }

    private static float[] rand(Random r, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(d -> d).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /** -Dcpu=true: this thread's CPU time (with --threads 1, robust to a busy machine), else wall time. */
    private static final boolean CPU = Boolean.getBoolean("cpu");

    private static long now() {
        return CPU ? ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() : System.nanoTime();
    }

    private static long cpuNanos() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return 0;
    }
}
