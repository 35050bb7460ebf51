package dev.resnet4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads the generators' plain-text fixtures: one "key value value ..." per line; keys may repeat. */
public final class Fixture {
    private final Map<String, List<String[]>> lines = new LinkedHashMap<>();

    private Fixture() {
    }

    public static Fixture load(String resource) {
        try (InputStream in = Fixture.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource + "; run the generator in tools/");
            }
            Fixture f = new Fixture();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                String[] parts = line.trim().split(" ");
                String[] rest = new String[parts.length - 1];
                System.arraycopy(parts, 1, rest, 0, rest.length);
                f.lines.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(rest);
            }
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String str(String key) {
        return first(key)[0];
    }

    public int integer(String key) {
        return Integer.parseInt(str(key));
    }

    public long longValue(String key) {
        return Long.parseLong(str(key));
    }

    public int[] ints(String key) {
        String[] v = first(key);
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Integer.parseInt(v[i]);
        }
        return out;
    }

    public float[] floats(String key) {
        String[] v = first(key);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.parseFloat(v[i]);
        }
        return out;
    }

    public boolean has(String key) {
        return lines.containsKey(key);
    }

    /** Every line with this key, each as its values. */
    public List<String[]> all(String key) {
        return lines.getOrDefault(key, List.of());
    }

    private String[] first(String key) {
        List<String[]> l = lines.get(key);
        if (l == null) {
            throw new IllegalArgumentException("fixture has no key " + key);
        }
        return l.get(0);
    }
}
