package dev.resnet4j.io;

import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Files this writer produces are what PyTorch reads.
 *
 * <p>{@code written_by_java.pth/.safetensors} were written by {@link #sample()} and then
 * loaded by {@code tools/check_written.py} (torch.load with weights_only=True, and a
 * spec-following safetensors reader), whose report is {@code written_by_java.torch.json}.
 * This test proves the writer still produces those exact bytes, and that PyTorch's view of
 * them equals the tensors we wrote. To regenerate after a deliberate format change:
 * {@code mvn test -Dtest=WrittenByJavaTest -Dio.writeSamples=src/test/resources/io}, then
 * {@code /usr/bin/python3 tools/check_written.py src/test/resources/io/written_by_java.pth
 * src/test/resources/io/written_by_java.safetensors --json src/test/resources/io/written_by_java.torch.json}.
 */
class WrittenByJavaTest {
    @TempDir
    Path dir;

    /** A ResNet-like state dict with values from a fixed formula. */
    static Map<String, Tensor> sample() {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("conv1.weight", filled(1, 4, 3, 3, 3));
        sd.put("bn1.weight", filled(2, 4));
        sd.put("bn1.bias", filled(3, 4));
        sd.put("bn1.running_mean", filled(4, 4));
        sd.put("bn1.running_var", filled(5, 4));
        sd.put("bn1.num_batches_tracked", new Tensor(new float[] {1234f}));
        sd.put("fc.weight", filled(6, 2, 4));
        sd.put("fc.bias", filled(7, 2));
        return sd;
    }

    private static Tensor filled(int seed, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) Math.sin(0.37 * i + seed) * seed;
        }
        return t;
    }

    @Test
    void writerOutputIsWhatPyTorchChecked() throws IOException {
        String dest = System.getProperty("io.writeSamples");
        if (dest != null) {
            TorchFiles.write(sample(), Path.of(dest, "written_by_java.pth"));
            Safetensors.write(sample(), Path.of(dest, "written_by_java.safetensors"));
        }
        for (String name : new String[] {"written_by_java.pth", "written_by_java.safetensors"}) {
            Path p = dir.resolve(name);
            StateDicts.save(sample(), p);
            assertArrayEquals(Files.readAllBytes(Fixtures.path(name)), Files.readAllBytes(p),
                    name + " differs from the file PyTorch checked");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void pyTorchSawTheValuesWeWrote() throws IOException {
        Map<String, Object> report = (Map<String, Object>) Json.parse(
                Files.readString(Fixtures.path("written_by_java.torch.json"), StandardCharsets.UTF_8), "report");
        Map<String, Tensor> sd = sample();
        for (String file : new String[] {"written_by_java.pth", "written_by_java.safetensors"}) {
            List<Map<String, Object>> entries = (List<Map<String, Object>>) report.get(file);
            List<String> keys = new ArrayList<>();
            for (Map<String, Object> e : entries) {
                String key = (String) e.get("key");
                keys.add(key);
                Tensor t = sd.get(key);
                assertArrayEquals(t.shape(), Fixtures.ints(e.get("shape")), file + " " + key);
                assertArrayEquals(t.data(), Fixtures.floats(e.get("values")), file + " " + key);
                String dtype = key.endsWith("num_batches_tracked") ? "torch.int64" : "torch.float32";
                assertEquals(dtype, e.get("dtype"), file + " " + key);
            }
            assertEquals(new ArrayList<>(sd.keySet()), keys, file);
        }
    }
}
