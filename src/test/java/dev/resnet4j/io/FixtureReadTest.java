package dev.resnet4j.io;

import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Files written by PyTorch / NumPy / the spec read back to the values PyTorch reported. */
class FixtureReadTest {

    @ParameterizedTest
    @ValueSource(strings = {"state_zip.pth", "state_legacy.pth", "checkpoint_state_dict.pth",
            "checkpoint_model_legacy.pth", "plain_dict.pt", "handmade_transposed.pth"})
    void torchFilesMatchPyTorch(String file) throws IOException {
        assertMatches(file, TorchFiles.read(Fixtures.path(file)));
        assertMatches(file, StateDicts.load(Fixtures.path(file)));
    }

    @Test
    void safetensorsMatchesPyTorch() throws IOException {
        assertMatches("mixed.safetensors", Safetensors.read(Fixtures.path("mixed.safetensors")));
        assertMatches("mixed.safetensors", StateDicts.load(Fixtures.path("mixed.safetensors")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"f32.npy", "f64.npy", "f16.npy", "i64.npy", "i32.npy", "u8.npy", "bool.npy",
            "fortran.npy", "bigendian.npy", "scalar.npy"})
    void npyMatchesNumPy(String file) throws IOException {
        Map<String, Object> e = Fixtures.expected(file).get(0);
        Tensor t = Npy.readFloat(Fixtures.path(file));
        assertArrayEquals(Fixtures.ints(e.get("shape")), t.shape(), file);
        assertArrayEquals(Fixtures.floats(e.get("values")), t.data(), file);
        if (e.containsKey("longs")) {
            List<?> longs = (List<?>) e.get("longs");
            long[] want = longs.stream().mapToLong(o -> (Long) o).toArray();
            assertArrayEquals(want, Npy.readLongs(Fixtures.path(file)), file);
        }
        assertArrayEquals(Fixtures.ints(e.get("shape")), Npy.readShape(Fixtures.path(file)));
    }

    private static void assertMatches(String file, Map<String, Tensor> got) throws IOException {
        List<Map<String, Object>> want = Fixtures.expected(file);
        List<String> wantKeys = new ArrayList<>();
        for (Map<String, Object> e : want) {
            wantKeys.add((String) e.get("key"));
        }
        assertEquals(wantKeys, new ArrayList<>(got.keySet()), file + ": keys in file order");
        for (Map<String, Object> e : want) {
            Tensor t = got.get((String) e.get("key"));
            String what = file + " " + e.get("key");
            assertArrayEquals(Fixtures.ints(e.get("shape")), t.shape(), what);
            assertArrayEquals(Fixtures.floats(e.get("values")), t.data(), what);
        }
    }
}
