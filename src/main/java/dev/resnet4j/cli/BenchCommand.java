package dev.resnet4j.cli;

import dev.resnet4j.kernels.Align;
import dev.resnet4j.kernels.Gemm;
import dev.resnet4j.kernels.Winograd;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.nn.CrossEntropyLoss;
import dev.resnet4j.optim.Adam;
import dev.resnet4j.optim.Optimizer;
import dev.resnet4j.optim.SGD;
import dev.resnet4j.tensor.Parallel;
import dev.resnet4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code resnet bench}: latency and throughput of inference (eval-mode forward) or of a whole
 * training step (train-mode forward, cross-entropy on random labels, backward, optimiser
 * step) on a randomly initialised model and random input, with the achieved GFLOP/s from the
 * model's analytic MAC count ({@link MacCounter}; a training step counts as 3 forwards) and
 * the share of the machine's FP32 peak ({@link PeakFlops}). tools/compare/ runs the same
 * workloads in PyTorch and ONNX Runtime; BENCHMARKS.md has the figures.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time inference or training steps on random data and report latency, images/s, GFLOP/s and % of peak.")
final class BenchCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    ModelOptions model;

    @Option(names = "--batch", split = ",", defaultValue = "1,16",
            description = "Batch sizes, comma-separated; one workload each (default: ${DEFAULT-VALUE}).")
    int[] batches;

    @Option(names = "--input", description = "Input shape CxHxW or HxW (default: 3x224x224, or 1x224x224 with --grayscale).")
    String input;

    @Option(names = "--train", description = "Time a training step instead of inference.")
    boolean train;

    @Option(names = "--optimizer", defaultValue = "sgd",
            description = "With --train: sgd (momentum 0.9, lr 0.01) or adam (lr 1e-3) (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--warmup", defaultValue = "3",
            description = "Untimed iterations first; at least --warmup-seconds of them are run (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--warmup-seconds", defaultValue = "1",
            description = "Minimum warm-up time per workload, for the JIT compiler and the heap (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--jit-idle-seconds", defaultValue = "0.5",
            description = "After the warm-up, keep warming up until the JIT compiler has finished nothing for this long "
                    + "(at most 30 s more; 0: do not wait): on 2 cores a compiler thread still at work takes a core "
                    + "from the timed iterations (default: ${DEFAULT-VALUE}).")
    double jitIdleSeconds;

    @Option(names = "--iterations", defaultValue = "10", description = "Timed iterations per workload (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--peak-gflops",
            description = "The machine's FP32 peak for the % column (default: measured with an FMA micro-benchmark on all threads).")
    Double peakGflops;

    @Option(names = "--json", description = "One JSON object per workload and line instead of the table.")
    boolean json;

    @Option(names = "--profile", description = "With --train: also time every module's forward and backward and print the breakdown.")
    boolean profile;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the weights, input and labels (default: ${DEFAULT-VALUE}).")
    long seed;

    /** One workload's timings. */
    record Result(int batch, double medianMs, double minMs, double imagesPerSecond, double gflops, double peakPercent) {
    }

    @Override
    public Integer call() {
        common.apply();
        int[] chw = parseInput();
        if (chw[0] == 1 && !model.grayscale) {
            model.grayscale = true;
        } else if (chw[0] != (model.grayscale ? 1 : 3)) {
            throw new IllegalArgumentException("--input has " + chw[0] + " channels but the model takes "
                    + (model.grayscale ? 1 : 3) + " (use 1xHxW for --grayscale, 3xHxW without)");
        }
        if (iterations < 1 || warmup < 0 || !(warmupSeconds >= 0)) {
            throw new IllegalArgumentException("--iterations must be at least 1, --warmup and --warmup-seconds at least 0");
        }
        String opt = optimizer.toLowerCase(Locale.ROOT);
        if (!opt.equals("sgd") && !opt.equals("adam")) {
            throw new IllegalArgumentException("--optimizer must be sgd or adam, got '" + optimizer + "'");
        }
        if (profile && !train) {
            throw new IllegalArgumentException("--profile needs --train (it breaks a training step down)");
        }
        int threads = Parallel.threads();
        PeakFlops.Peak peak = peakGflops != null
                ? new PeakFlops.Peak(peakGflops, "given (--peak-gflops)")
                : PeakFlops.measure(threads);
        ResNet net = model.build(seed);
        long macs = MacCounter.macsPerImage(net, chw[0], chw[1], chw[2]);
        double flopsPerImage = 2.0 * macs * (train ? 3 : 1);
        String inputString = chw[0] + "x" + chw[1] + "x" + chw[2];
        PrintStream out = System.out;
        if (!json) {
            out.printf(Locale.ROOT, "resnet4j bench: %s, %d classes, input %s, %s, %d threads, GEMM kernel %s%n",
                    model.arch, model.numClasses, inputString,
                    train ? "training step (" + opt + ")" : "inference (eval mode)", threads, Gemm.kernelName());
            out.printf(Locale.ROOT, "forward: %.4f GMAC/image; counted FLOPs per image: %.3f G%s%n", macs / 1e9,
                    flopsPerImage / 1e9, train ? " (3 x forward)" : "");
            if (!train && Winograd.TILE != 0) {
                out.printf(Locale.ROOT, "3x3 stride-1 convolutions: Winograd F(%dx%d,3x3) (GFLOP/s below counts a"
                        + " direct convolution's FLOPs, so it is an effective rate)%n", Winograd.TILE, Winograd.TILE);
            }
            if (!train) {
                out.println(Align.onCacheLines()
                        ? "packed weights and activations start on 64-byte lines (-XX:ObjectAlignmentInBytes=64)"
                        : "packed weights and activations wherever the JVM puts them (the launcher's"
                                + " -XX:ObjectAlignmentInBytes=64 aligns them)");
                out.println(Align.hugePages() ? "heap on transparent huge pages (-XX:+UseTransparentHugePages)"
                        : "heap on the default pages (the launcher adds -XX:+UseTransparentHugePages where THP is"
                                + " \"madvise\")");
            }
            out.printf(Locale.ROOT, "peak: %.1f GFLOP/s, %s%n", peak.gflops(), peak.source());
            out.printf(Locale.ROOT, "%6s %10s %10s %10s %9s %7s%n", "batch", "median ms", "min ms", "images/s", "GFLOP/s", "%peak");
        }
        for (int batch : batches) {
            if (batch < 1) {
                throw new IllegalArgumentException("batch sizes must be at least 1, got " + batch);
            }
            Result r = run(net, batch, chw, opt, flopsPerImage, peak.gflops());
            if (json) {
                out.println(json(r, inputString, threads, opt, macs, peak));
            } else {
                out.printf(Locale.ROOT, "%6d %10.2f %10.2f %10.1f %9.1f %6.1f%%%n", r.batch(), r.medianMs(), r.minMs(),
                        r.imagesPerSecond(), r.gflops(), r.peakPercent());
            }
            if (lastProfile != null) {
                printProfile(lastProfile, r.medianMs(), json ? System.err : out);
                lastProfile = null;
            }
            out.flush();
        }
        return 0;
    }

    private Result run(ResNet net, int batch, int[] chw, String opt, double flopsPerImage, double peak) {
        Random rnd = new Random(seed + batch);
        Tensor x = Tensor.zeros(batch, chw[0], chw[1], chw[2]);
        float[] xd = x.data();
        for (int i = 0; i < xd.length; i++) {
            xd[i] = (float) rnd.nextGaussian();
        }
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = rnd.nextInt(model.numClasses);
        }
        Runnable step;
        TrainProfiler profiler = null;
        if (train) {
            net.train(true);
            net.reuseBuffers(true); // as the trainer runs it
            Optimizer o = opt.equals("adam")
                    ? new Adam(net.namedParameters(), 1e-3)
                    : new SGD(net.namedParameters(), 0.01, 0.9, 0.0);
            CrossEntropyLoss loss = new CrossEntropyLoss();
            step = () -> {
                o.zeroGrad();
                Tensor logits = net.forward(x);
                loss.forward(logits, labels);
                net.backwardParameters(loss.backward());
                o.step();
            };
            if (profile) {
                // the profiled steps run after the timed ones, so they do not disturb them
                TrainProfiler p = new TrainProfiler(net);
                profiler = p;
                profiledStep = () -> p.step(x, labels, loss, o);
            }
        } else {
            net.eval();
            step = () -> net.forward(x);
        }
        long warmStart = System.nanoTime();
        for (int i = 0; i < warmup || System.nanoTime() - warmStart < (long) (warmupSeconds * 1e9); i++) {
            step.run();
        }
        untilJitIdle(step);
        double[] ms = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long t0 = System.nanoTime();
            step.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        double median = iterations % 2 == 1 ? ms[iterations / 2] : (ms[iterations / 2 - 1] + ms[iterations / 2]) / 2;
        double ips = batch / (median / 1e3);
        double gflops = flopsPerImage * batch / (median / 1e3) / 1e9;
        Result r = new Result(batch, median, ms[0], ips, gflops, 100 * gflops / peak);
        if (profiler != null) {
            profiledStep.run(); // one untimed profiled step, then the measured ones
            profiler.reset();
            for (int i = 0; i < iterations; i++) {
                profiledStep.run();
            }
            lastProfile = profiler;
        }
        return r;
    }

    private Runnable profiledStep;
    private TrainProfiler lastProfile;

    private static void printProfile(TrainProfiler p, double medianMs, PrintStream out) {
        int n = p.steps();
        long total = p.byKind.values().stream().mapToLong(Long::longValue).sum();
        out.printf(Locale.ROOT, "profile: %d instrumented steps, %.1f ms/step (the uninstrumented median is %.1f ms)%n",
                n, total / 1e6 / n, medianMs);
        out.printf(Locale.ROOT, "  %-30s %10s %7s%n", "part", "ms/step", "share");
        p.byKind.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).forEach(e ->
                out.printf(Locale.ROOT, "  %-30s %10.2f %6.1f%%%n", e.getKey(), e.getValue() / 1e6 / n, 100.0 * e.getValue() / total));
        List<Map.Entry<String, long[]>> convs = new ArrayList<>(p.byConv.entrySet());
        convs.sort((a, b) -> Long.compare(b.getValue()[0] + b.getValue()[1], a.getValue()[0] + a.getValue()[1]));
        out.printf(Locale.ROOT, "  %-24s %8s %8s %10s %10s%n", "convolution", "fwd ms", "bwd ms", "fwd GFLOP/s", "bwd GFLOP/s");
        double macs = 0;
        long fwd = 0;
        long bwd = 0;
        for (Map.Entry<String, long[]> e : convs) {
            long[] t = e.getValue();
            double m = p.convMacs.getOrDefault(e.getKey(), 0L);
            macs += m;
            fwd += t[0];
            bwd += t[1];
            // forward 2·MAC flops; backward computes the input and the weight gradients, 2 × that
            out.printf(Locale.ROOT, "  %-24s %8.2f %8.2f %10.1f %10.1f%n", e.getKey(), t[0] / 1e6 / n, t[1] / 1e6 / n,
                    2 * m * n / t[0], 4 * m * n / t[1]);
        }
        out.printf(Locale.ROOT, "  %-24s %8.2f %8.2f %10.1f %10.1f%n", "all convolutions", fwd / 1e6 / n, bwd / 1e6 / n,
                2 * macs * n / fwd, 4 * macs * n / bwd);
    }

    private String json(Result r, String inputString, int threads, String opt, long macs, PeakFlops.Peak peak) {
        return String.format(Locale.ROOT, "{\"impl\":\"resnet4j\",\"arch\":\"%s\",\"num_classes\":%d,\"input\":\"%s\","
                        + "\"batch\":%d,\"train\":%b,\"optimizer\":%s,\"threads\":%d,\"iterations\":%d,"
                        + "\"median_ms\":%.4f,\"min_ms\":%.4f,\"images_per_second\":%.3f,\"macs_per_image\":%d,"
                        + "\"gflops\":%.3f,\"peak_gflops\":%.2f,\"peak_percent\":%.2f,\"peak_source\":\"%s\"}",
                model.arch, model.numClasses, inputString, r.batch(), train, train ? "\"" + opt + "\"" : "null", threads,
                iterations, r.medianMs(), r.minMs(), r.imagesPerSecond(), macs, r.gflops(), peak.gflops(),
                r.peakPercent(), peak.source().replace("\\", "\\\\").replace("\"", "'"));
    }

    /** CxHxW, or HxW with the channels the model takes. */
    private int[] parseInput() {
        int defaultChannels = model.grayscale ? 1 : 3;
        if (input == null) {
            return new int[]{defaultChannels, 224, 224};
        }
        String[] p = input.toLowerCase(Locale.ROOT).split("x");
        try {
            int[] v = Arrays.stream(p).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
            if (v.length == 2) {
                v = new int[]{defaultChannels, v[0], v[1]};
            }
            if (v.length == 3 && v[0] > 0 && v[1] > 0 && v[2] > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new IllegalArgumentException("--input must be CxHxW or HxW with positive sizes, e.g. 3x224x224; got '" + input + "'");
    }

    /**
     * Runs the step until the JIT compiler has completed no compilation for --jit-idle-seconds
     * (at most 30 s): C2 compiles the kernels a workload reaches in the background, and on a
     * 2-core machine a compiler thread still working takes a core from the timed iterations
     * (medians up to 3x the steady state were seen in the first runs of tools/compare).
     */
    private void untilJitIdle(Runnable step) {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        if (!(jitIdleSeconds > 0) || jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long start = System.nanoTime();
        long quietSince = start;
        long seen = jit.getTotalCompilationTime();
        while (System.nanoTime() - quietSince < (long) (jitIdleSeconds * 1e9) && System.nanoTime() - start < 30_000_000_000L) {
            step.run();
            long total = jit.getTotalCompilationTime();
            if (total != seen) {
                seen = total;
                quietSince = System.nanoTime();
            }
        }
    }
}
