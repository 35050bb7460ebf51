package dev.resnet4j.cli;

import dev.resnet4j.models.ResNet;
import dev.resnet4j.models.ResNets;
import dev.resnet4j.nn.CrossEntropyLoss;
import dev.resnet4j.nn.Parameter;
import dev.resnet4j.optim.SGD;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench command's arithmetic (MAC counts against PyTorch's), its profiler and its JSON. */
class BenchCommandTest {

    @Test
    void resnet18MacsAreThePublishedFigures() {
        assertEquals(1.814e9, MacCounter.macsPerImage(ResNets.resnet18(1000, false), 3, 224, 224), 0.0005e9);
        assertEquals(33.0e6, MacCounter.macsPerImage(ResNets.resnet18(10, true), 1, 28, 28), 0.05e6);
    }

    /** bench/macs.txt is written by tools/count_macs.py with PyTorch forward hooks. */
    @Test
    void macsEqualPyTorchsHookCount() throws IOException {
        List<String> lines = new ArrayList<>();
        try (InputStream in = BenchCommandTest.class.getResourceAsStream("/bench/macs.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    lines.add(line);
                }
            }
        }
        assertTrue(lines.size() >= 5, "too few cases in bench/macs.txt");
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            int c = Integer.parseInt(f[1]);
            ResNet m = ResNets.create(f[0], Integer.parseInt(f[2]), c == 1, 0);
            assertEquals(Long.parseLong(f[5]), MacCounter.macsPerImage(m, c, Integer.parseInt(f[3]), Integer.parseInt(f[4])), line);
        }
    }

    /** The profiler drives the model's modules itself: its step must be the model's step. */
    @Test
    void profiledStepEqualsTheModelsStep() {
        for (String arch : List.of("resnet18", "resnet50")) {
            ResNet a = ResNets.create(arch, 10, true, 3);
            ResNet b = ResNets.create(arch, 10, true, 3);
            Random rnd = new Random(1);
            Tensor x = Tensor.zeros(4, 1, 64, 64);
            for (int i = 0; i < x.size(); i++) {
                x.data()[i] = (float) rnd.nextGaussian();
            }
            int[] labels = {1, 7, 3, 9};
            SGD optA = new SGD(a.namedParameters(), 0.01, 0.9, 0.0);
            SGD optB = new SGD(b.namedParameters(), 0.01, 0.9, 0.0);
            CrossEntropyLoss lossA = new CrossEntropyLoss();
            CrossEntropyLoss lossB = new CrossEntropyLoss();
            TrainProfiler p = new TrainProfiler(b);
            for (int step = 0; step < 2; step++) {
                optA.zeroGrad();
                double la = lossA.forward(a.forward(x), labels);
                a.backward(lossA.backward());
                optA.step();
                double lb = p.step(x, labels, lossB, optB);
                // same operations; only the GEMM kernel may differ (the vector one takes over
                // from the plain one once compiled), so allow rounding-level differences
                assertEquals(la, lb, 1e-5 * Math.abs(la), arch + " loss at step " + step);
            }
            Map<String, Parameter> pa = a.namedParameters();
            Map<String, Parameter> pb = b.namedParameters();
            for (String k : pa.keySet()) {
                float[] wa = pa.get(k).data();
                float[] wb = pb.get(k).data();
                for (int i = 0; i < wa.length; i++) {
                    assertEquals(wa[i], wb[i], 1e-4f * (1 + Math.abs(wa[i])), arch + " " + k + "[" + i + "]");
                }
            }
            assertTrue(p.byKind.get("conv backward") > 0);
            assertEquals(2, p.steps());
        }
    }

    @Test
    void jsonLinesCarryTheFields() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true));
            code = Main.run("bench", "--num-classes", "10", "--input", "1x32x32", "--batch", "2,3", "--train",
                    "--optimizer", "adam", "--warmup", "0", "--jit-idle-seconds", "0", "--iterations", "1", "--peak-gflops", "100",
                    "--json");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code);
        String[] lines = buf.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(2, lines.length, buf.toString(StandardCharsets.UTF_8));
        for (String k : List.of("\"batch\":2", "\"train\":true", "\"median_ms\":", "\"images_per_second\":", "\"arch\":\"resnet18\"",
                "\"input\":\"1x32x32\"", "\"threads\":", "\"gflops\":", "\"peak_percent\":", "\"optimizer\":\"adam\"")) {
            assertTrue(lines[0].contains(k), k + " missing in " + lines[0]);
        }
        assertTrue(lines[1].contains("\"batch\":3"));
    }

    @Test
    void badInputIsOneLineError() {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(buf, true));
            code = Main.run("bench", "--input", "3xax7", "--iterations", "1");
        } finally {
            System.setErr(old);
        }
        assertTrue(code != 0);
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("--input must be CxHxW"), buf.toString(StandardCharsets.UTF_8));
    }
}
