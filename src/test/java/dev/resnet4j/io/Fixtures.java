package dev.resnet4j.io;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Locates fixtures written by tools/gen_io_fixtures.py and their expected values. */
final class Fixtures {
    private Fixtures() {
    }

    static Path path(String name) {
        try {
            var url = Fixtures.class.getResource("/io/" + name);
            if (url == null) {
                throw new IllegalStateException("missing fixture io/" + name + " (run tools/gen_io_fixtures.py)");
            }
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** expected.json: file name -> list of {key, shape, values[, longs]}. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> expected() throws IOException {
        String text = Files.readString(path("expected.json"), StandardCharsets.UTF_8);
        return (Map<String, Object>) Json.parse(text, "expected.json");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> expected(String file) throws IOException {
        return (List<Map<String, Object>>) expected().get(file);
    }

    static int[] ints(Object jsonList) {
        List<?> l = (List<?>) jsonList;
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) l.get(i)).intValue();
        }
        return out;
    }

    static float[] floats(Object jsonList) {
        List<?> l = (List<?>) jsonList;
        float[] out = new float[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) l.get(i)).floatValue();
        }
        return out;
    }
}
