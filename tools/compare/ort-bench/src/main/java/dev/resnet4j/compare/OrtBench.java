package dev.resnet4j.compare;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * ONNX Runtime (Java API, CPU execution provider) side of tools/compare: inference of the
 * ONNX file torch_bench.py exported, timed as {@code resnet bench} times it (warm-up of at
 * least N iterations and one second, then timed iterations; median and min), printed as one
 * JSON line per batch size.
 *
 * <pre>
 * java -cp ort-bench.jar:lib/* dev.resnet4j.compare.OrtBench MODEL.onnx --input 3x224x224 \
 *      --batch 1,16 [--threads 2] [--warmup 3] [--warmup-seconds 1] [--iterations 10] [--num-classes 1000] [--arch resnet18]
 * </pre>
 */
public final class OrtBench {
    private OrtBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: OrtBench MODEL.onnx [--input CxHxW] [--batch 1,16] [--threads 2] [--warmup 3] [--warmup-seconds 1] [--iterations 10]");
            System.exit(2);
        }
        String model = args[0];
        String input = "3x224x224";
        String batches = "1,16";
        String arch = "resnet18";
        int numClasses = 1000;
        int threads = 2;
        int warmup = 3;
        double warmupSeconds = 1.0;
        int iterations = 10;
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--input" -> input = args[i + 1];
                case "--batch" -> batches = args[i + 1];
                case "--arch" -> arch = args[i + 1];
                case "--num-classes" -> numClasses = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
                case "--warmup-seconds" -> warmupSeconds = Double.parseDouble(args[i + 1]);
                case "--iterations" -> iterations = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        int[] chw = Arrays.stream(input.split("x")).mapToInt(Integer::parseInt).toArray();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = OrtBench.sessionOptions(threads)) {
            try (OrtSession session = env.createSession(model, opts)) {
                String inputName = session.getInputNames().iterator().next();
                for (String b : batches.split(",")) {
                    int batch = Integer.parseInt(b.trim());
                    long[] shape = {batch, chw[0], chw[1], chw[2]};
                    float[] data = new float[batch * chw[0] * chw[1] * chw[2]];
                    Random rnd = new Random(batch);
                    for (int i = 0; i < data.length; i++) {
                        data[i] = (float) rnd.nextGaussian();
                    }
                    try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape)) {
                        double[] ms = time(session, Map.of(inputName, x), warmup, warmupSeconds, iterations);
                        double median = iterations % 2 == 1 ? ms[iterations / 2] : (ms[iterations / 2 - 1] + ms[iterations / 2]) / 2;
                        System.out.printf(Locale.ROOT, "{\"impl\":\"onnxruntime\",\"arch\":\"%s\",\"num_classes\":%d,\"input\":\"%s\","
                                        + "\"batch\":%d,\"train\":false,\"optimizer\":null,\"threads\":%d,\"iterations\":%d,"
                                        + "\"median_ms\":%.4f,\"min_ms\":%.4f,\"images_per_second\":%.3f,\"ort\":\"%s\"}%n",
                                arch, numClasses, input, batch, threads, iterations, median, ms[0], batch / (median / 1e3),
                                ortVersion(env));
                        System.out.flush();
                    }
                }
            }
        }
    }

    /**
     * Runs the session at least {@code warmup} times and for at least {@code warmupSeconds},
     * untimed, then {@code iterations} times timed: the times in ms, sorted.
     */
    static double[] time(OrtSession session, Map<String, OnnxTensor> feed, int warmup, double warmupSeconds,
                         int iterations) throws ai.onnxruntime.OrtException {
        long start = System.nanoTime();
        for (int i = 0; i < warmup || System.nanoTime() - start < (long) (warmupSeconds * 1e9); i++) {
            session.run(feed).close();
        }
        double[] ms = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long t0 = System.nanoTime();
            session.run(feed).close();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms;
    }

    /** The session settings both benchmarks use: {@code threads} intra-op threads, sequential, all graph optimisations. */
    static OrtSession.SessionOptions sessionOptions(int threads) throws ai.onnxruntime.OrtException {
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        opts.setIntraOpNumThreads(threads);
        opts.setInterOpNumThreads(1);
        opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        return opts;
    }

    private static String ortVersion(OrtEnvironment env) {
        try {
            return env.getVersion();
        } catch (Throwable t) {
            return "?";
        }
    }
}
