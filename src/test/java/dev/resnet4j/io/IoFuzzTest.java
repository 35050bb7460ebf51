package dev.resnet4j.io;

import com.code_intelligence.jazzer.junit.FuzzTest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every parser, fed arbitrary bytes, either returns or throws {@link FormatException}: no
 * other exception, no runaway allocation, no hang.
 *
 * <p>In a normal {@code mvn test} these run in Jazzer's regression mode over the seeds in
 * {@code src/test/resources/dev/resnet4j/io/IoFuzzTestInputs/<method>/}. To fuzz for real,
 * see SECURITY.md ({@code JAZZER_FUZZ=1 mvn test -Dtest=IoFuzzTest#safetensors}).
 */
class IoFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void safetensors(byte[] data) {
        try {
            Safetensors.parse(data, "fuzz.safetensors");
        } catch (FormatException e) {
            checkMessage(e, "fuzz.safetensors");
        }
    }

    @FuzzTest(maxDuration = "2m")
    void torchZip(byte[] data) {
        try {
            TorchFiles.parseZip(data, "fuzz.pth");
        } catch (FormatException e) {
            checkMessage(e, "fuzz.pth");
        }
    }

    @FuzzTest(maxDuration = "2m")
    void torchLegacy(byte[] data) {
        try {
            TorchFiles.parseLegacy(data, "fuzz.pth");
        } catch (FormatException e) {
            checkMessage(e, "fuzz.pth");
        }
    }

    /**
     * The data.pkl of a zip file straight into the restricted unpickler and the view checks,
     * without the zip's CRC in the way; every storage key maps to the same 256 bytes.
     */
    @FuzzTest(maxDuration = "2m")
    void torchPickle(byte[] data) {
        ZipArchive.Slice storage = new ZipArchive.Slice(new byte[256], 0, 256);
        try {
            TorchFiles.fromDataPickle(data, "fuzz.pkl", data.length, key -> storage);
        } catch (FormatException e) {
            checkMessage(e, "fuzz.pkl");
        }
    }

    @FuzzTest(maxDuration = "2m")
    void npy(byte[] data) {
        try {
            Npy.parse(data, "fuzz.npy");
        } catch (FormatException e) {
            checkMessage(e, "fuzz.npy");
        }
    }

    private static void checkMessage(FormatException e, String file) {
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
