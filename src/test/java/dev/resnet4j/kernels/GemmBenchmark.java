package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * JMH benchmark of {@link Gemm#sgemm} on a square problem and the GEMMs of ResNet's 3×3
 * convolutions (M = out channels, N = output pixels, K = in channels × 9), for batch 1 and
 * batch 16 (N × 16). GFLOP/s = 2·M·N·K / (score in ms) / 1e6.
 *
 * <p>Run from the project root (the annotation processor generates the harness during
 * test-compile):
 * <pre>
 * mvn -o -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt \
 *     -Dmdep.includeScope=test
 * java --add-modules jdk.incubator.vector \
 *      -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *      org.openjdk.jmh.Main GemmBenchmark -p shape=1024x1024x1024 -p threads=1
 * </pre>
 * For a quicker table of GFLOP/s and % of peak use {@link GemmBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmBenchmark {
    @Param({"1024x1024x1024",
        "64x3136x576", "128x784x1152", "256x196x2304", "512x49x4608",
        "64x50176x576", "128x12544x1152", "256x3136x2304", "512x784x4608"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    private int m;
    private int n;
    private int k;
    private float[] a;
    private float[] b;
    private float[] c;

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        Gemm.awaitVectorKernel(120_000);
        String[] p = shape.split("x");
        m = Integer.parseInt(p[0]);
        n = Integer.parseInt(p[1]);
        k = Integer.parseInt(p[2]);
        Random rnd = new Random(1);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextFloat() - 0.5f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = rnd.nextFloat() - 0.5f;
        }
        Parallel.setThreads(threads);
    }

    @Benchmark
    public float[] sgemm() {
        Gemm.sgemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, false);
        return c;
    }
}
