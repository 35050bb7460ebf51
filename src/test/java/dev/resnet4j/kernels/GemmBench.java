package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Quick GEMM throughput harness: median GFLOP/s per shape for 1 and 2 threads, and the share
 * of one core's FP32 peak: 2 FMA pipes × lanes × 2 flops × 3.2 GHz, 102 GFLOP/s with AVX2's 8 lanes and
 * 204 with AVX-512's 16 (the machine's EPYC runs 512-bit FMAs at full width; the CLI's own FMA
 * micro-benchmark measures ~200–212 a core).
 *
 * <p>Run (after {@code mvn -o -q -B test-compile}):
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes \
 *      dev.resnet4j.kernels.GemmBench [reps=7] [threads=1,2] [shape MxNxK[tA][tB] ...]
 * </pre>
 * e.g. {@code dev.resnet4j.kernels.GemmBench 7 1 1024x1024x1024}. Add
 * {@code -Dresnet4j.gemm.species=256} to try 256-bit vectors (512 where the CPU has them is the
 * default). The machine is shared, so each
 * figure is the median of {@code reps} timed runs of ≥ 0.2 s after a warm-up, and besides
 * wall-clock GFLOP/s the harness prints GFLOP per CPU-second (of the thread, or of the process with several threads; "cpu" column,
 * divided by threads for %peak): when other processes steal the cores, wall-clock figures
 * drop but the CPU-time figure still shows what the kernel does with the time it gets.
 */
public final class GemmBench {
    static final double PEAK_PER_CORE = 102.0 * GemmVectorKernel.L / 8;

    /** The shapes the benchmark reports by default: square, ResNet conv layers, batch-16. */
    static final String[] DEFAULT_SHAPES = {
        "1024x1024x1024",
        "64x3136x576", "128x784x1152", "256x196x2304", "512x49x4608",
        "64x50176x576", "128x12544x1152", "256x3136x2304", "512x784x4608",
    };

    private GemmBench() {
    }

    public static void main(String[] args) throws InterruptedException {
        Gemm.awaitVectorKernel(120_000);
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int[] threadCounts = args.length > 1
                ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, 2};
        List<String> shapes = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            shapes.add(args[i]);
        }
        if (shapes.isEmpty()) {
            shapes.addAll(Arrays.asList(DEFAULT_SHAPES));
        }
        System.out.printf("kernel: %s, java %s%n", Gemm.kernelName(), System.getProperty("java.version"));
        System.out.printf("%-22s %7s %8s %8s %8s %8s %8s %8s%n", "shape", "threads", "median", "min",
                "max", "%peak", "cpu", "%peak");
        for (String shape : shapes) {
            for (int t : threadCounts) {
                Parallel.setThreads(t);
                double[][] r = run(shape, reps);
                double[] g = r[0];
                double med = g[g.length / 2];
                double cpu = r[1][reps / 2];
                System.out.printf("%-22s %7d %8.1f %8.1f %8.1f %7.1f%% %8.1f %7.1f%%%n", shape, t, med,
                        g[0], g[g.length - 1], 100 * med / (PEAK_PER_CORE * t), cpu,
                        100 * cpu / PEAK_PER_CORE);
            }
        }
    }

    /** Wall-clock GFLOP/s and GFLOP per process CPU-second of each timed run, each sorted. */
    static double[][] run(String shape, int reps) {
        String dims = shape.replaceAll("[^0-9x]", "");
        boolean ta = shape.contains("tA");
        boolean tb = shape.contains("tB");
        String[] p = dims.split("x");
        int m = Integer.parseInt(p[0]);
        int n = Integer.parseInt(p[1]);
        int k = Integer.parseInt(p[2]);
        Random rnd = new Random(1);
        float[] a = random(rnd, m * k);
        float[] b = random(rnd, k * n);
        float[] c = new float[m * n];
        int lda = ta ? m : k;
        int ldb = tb ? k : n;
        double flops = 2.0 * m * n * k;
        // Warm up (JIT) for about a second, and size a timed run to about 0.2 s.
        long t0 = System.nanoTime();
        int calls = 0;
        while (System.nanoTime() - t0 < 1_000_000_000L || calls < 3) {
            Gemm.sgemm(ta, tb, m, n, k, a, 0, lda, b, 0, ldb, c, 0, n, false);
            calls++;
        }
        double perCall = (System.nanoTime() - t0) / 1e9 / calls;
        int inner = Math.max(1, (int) (0.2 / perCall));
        double[] g = new double[reps];
        double[] cpu = new double[reps];
        for (int r = 0; r < reps; r++) {
            boolean single = Parallel.threads() == 1;
            long cpu0 = cpuNanos(single);
            long s = System.nanoTime();
            for (int i = 0; i < inner; i++) {
                Gemm.sgemm(ta, tb, m, n, k, a, 0, lda, b, 0, ldb, c, 0, n, false);
            }
            double sec = (System.nanoTime() - s) / 1e9;
            double cpuSec = (cpuNanos(single) - cpu0) / 1e9;
            g[r] = flops * inner / sec / 1e9;
            cpu[r] = flops * inner / cpuSec / 1e9;
        }
        Arrays.sort(g);
        Arrays.sort(cpu);
        return new double[][] {g, cpu};
    }

    /** CPU time of this thread (all work runs on it with one thread), else of the process. */
    private static long cpuNanos(boolean thisThread) {
        if (thisThread) {
            return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        }
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static float[] random(Random rnd, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = rnd.nextFloat() - 0.5f;
        }
        return x;
    }
}
