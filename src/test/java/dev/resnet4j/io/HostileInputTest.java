package dev.resnet4j.io;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tiny files that claim huge sizes are refused quickly, before any large allocation. */
class HostileInputTest {

    interface Parser {
        void parse(byte[] b) throws FormatException;
    }

    private static final Parser[] PARSERS = {
            b -> Safetensors.parse(b, "x"), b -> TorchFiles.parseZip(b, "x"),
            b -> TorchFiles.parseLegacy(b, "x"), b -> Npy.parse(b, "x"), b -> TorchFiles.parse(b, "x"),
    };

    private static byte[] le64(long v, String tail) {
        ByteBuffer bb = ByteBuffer.allocate(8 + tail.length()).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(v).put(tail.getBytes(StandardCharsets.ISO_8859_1));
        return bb.array();
    }

    @Test
    void smallFilesClaimingHugeSizes() {
        byte[][] inputs = {
                le64(8, "{\"a\":{\"dtype\":\"F64\",\"shape\":[2147483000],\"data_offsets\":[0,17179864000]}}"),
                le64(Long.MAX_VALUE, "12345678"),
                "\u0080\u0002X\u00ff\u00ff\u00ff\u007f".getBytes(StandardCharsets.ISO_8859_1),
                "\u0080\u0002\u008d\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u007f".getBytes(StandardCharsets.ISO_8859_1),
                "\u0080\u0002\u008b\u00ff\u00ff\u00ff\u007f".getBytes(StandardCharsets.ISO_8859_1),
                "\u0093NUMPY\u0001\u0000\u0040\u0000{'descr': '<f8', 'fortran_order': True, 'shape': (65536, 65536), }"
                        .getBytes(StandardCharsets.ISO_8859_1),
                // An end-of-central-directory record declaring 65535 entries in a 16-byte directory.
                "PK\u0003\u0004PK\u0005\u0006\u0000\u0000\u0000\u0000\u00ff\u00ff\u00ff\u00ff\u0010\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000"
                        .getBytes(StandardCharsets.ISO_8859_1),
        };
        assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> {
            for (byte[] in : inputs) {
                for (Parser p : PARSERS) {
                    assertThrows(FormatException.class, () -> p.parse(in));
                }
            }
        });
    }

    @Test
    void deepNestingIsRefusedNotOverflowed() {
        String json = "[".repeat(100_000) + "]".repeat(100_000);
        byte[] header = json.getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le64(header.length, ""));
        out.writeBytes(header);
        FormatException e = assertThrows(FormatException.class, () -> Safetensors.parse(out.toByteArray(), "deep.safetensors"));
        assertTrue(e.getMessage().contains("nesting deeper than 64"), e.getMessage());

        // A pickle of 100k nested empty lists appended into each other: no recursion happens.
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80);
        p.write(2);
        for (int i = 0; i < 100_000; i++) {
            p.write(']');
        }
        for (int i = 0; i < 99_999; i++) {
            p.write('a');
        }
        p.write('.');
        assertThrows(FormatException.class, () -> TorchFiles.parseLegacy(p.toByteArray(), "deep.pth"));
    }

    @Test
    void randomSmallInputsOnlyEverThrowFormatException() {
        Random r = new Random(42);
        byte[][] prefixes = {{}, {(byte) 0x80, 2}, {'P', 'K', 3, 4}, {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0},
                {16, 0, 0, 0, 0, 0, 0, 0, '{'}};
        assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> {
            for (int i = 0; i < 20_000; i++) {
                byte[] pre = prefixes[i % prefixes.length];
                byte[] b = new byte[pre.length + r.nextInt(24)];
                r.nextBytes(b);
                System.arraycopy(pre, 0, b, 0, pre.length);
                for (Parser p : PARSERS) {
                    try {
                        p.parse(b);
                    } catch (FormatException expected) {
                        // the only allowed failure
                    }
                }
            }
        });
    }
}
