package dev.resnet4j.compare;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import java.nio.FloatBuffer;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * ONNX Runtime's own per-node profile of the exported ResNet, for comparing layer by layer
 * with resnet4j's {@code perf/InferLayerBench}: the same session settings as {@link OrtBench},
 * warm-up for a few seconds, then {@code iterations} profiled runs. Prints the median run time
 * and the path of ORT's JSON profile; {@code tools/compare/ort_layers.py PROFILE ITERATIONS}
 * turns it into per-node medians of the last ITERATIONS runs.
 *
 * <pre>
 * java -cp ort-bench.jar:lib/* dev.resnet4j.compare.OrtProfile MODEL.onnx BATCH ITERATIONS [THREADS] [PREFIX]
 * </pre>
 */
public final class OrtProfile {
    private OrtProfile() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: OrtProfile MODEL.onnx BATCH ITERATIONS [THREADS] [PROFILE_PREFIX]");
            System.exit(2);
        }
        int batch = Integer.parseInt(args[1]);
        int iterations = Integer.parseInt(args[2]);
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        String prefix = args.length > 4 ? args[4] : "ort_profile_b" + batch;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = OrtBench.sessionOptions(threads)) {
            opts.enableProfiling(prefix);
            try (OrtSession session = env.createSession(args[0], opts)) {
                float[] data = new float[batch * 3 * 224 * 224];
                Random rnd = new Random(batch);
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) rnd.nextGaussian();
                }
                try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), new long[]{batch, 3, 224, 224})) {
                    double[] ms = OrtBench.time(session, Map.of(session.getInputNames().iterator().next(), x), 1, 4.0,
                            iterations);
                    System.out.printf(Locale.ROOT, "batch %d, %d threads: median %.3f ms over %d runs%n", batch, threads,
                            ms[iterations / 2], iterations);
                }
                System.out.println("profile: " + session.endProfiling());
            }
        }
    }
}
