package dev.resnet4j.optim;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads {@code optim/optim_fixtures.bin}, written by {@code tools/gen_optim_fixtures.py} from
 * PyTorch 1.13 (format described there): named float32 and float64 arrays.
 */
final class OptimFixture {
    record Array(int[] shape, float[] floats, double[] doubles) {
    }

    private static Map<String, Array> cache;

    private OptimFixture() {
    }

    static synchronized Map<String, Array> arrays() {
        if (cache == null) {
            cache = read("/optim/optim_fixtures.bin");
        }
        return cache;
    }

    static Array get(String name) {
        Array a = arrays().get(name);
        if (a == null) {
            throw new IllegalArgumentException("fixture has no array " + name
                    + "; regenerate with /usr/bin/python3 tools/gen_optim_fixtures.py");
        }
        return a;
    }

    static boolean has(String name) {
        return arrays().containsKey(name);
    }

    static float[] floats(String name) {
        return get(name).floats();
    }

    static double[] doubles(String name) {
        return get(name).doubles();
    }

    private static Map<String, Array> read(String resource) {
        byte[] bytes;
        try (InputStream in = OptimFixture.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, Array> out = new LinkedHashMap<>();
        int count = b.getInt();
        for (int i = 0; i < count; i++) {
            byte[] name = new byte[b.getInt()];
            b.get(name);
            byte dtype = b.get();
            int[] shape = new int[b.getInt()];
            int n = 1;
            for (int d = 0; d < shape.length; d++) {
                shape[d] = b.getInt();
                n *= shape[d];
            }
            float[] f = null;
            double[] dd = null;
            if (dtype == 0) {
                f = new float[n];
                b.asFloatBuffer().get(f);
                b.position(b.position() + 4 * n);
            } else {
                dd = new double[n];
                b.asDoubleBuffer().get(dd);
                b.position(b.position() + 8 * n);
            }
            out.put(new String(name, StandardCharsets.UTF_8), new Array(shape, f, dd));
        }
        return out;
    }
}
