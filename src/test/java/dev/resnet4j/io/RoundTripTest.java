package dev.resnet4j.io;

import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Property tests: random state dicts survive write then read in every format. */
class RoundTripTest {
    @TempDir
    Path dir;

    static Map<String, Tensor> randomStateDict(Random r) {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        int n = r.nextInt(6);
        for (int i = 0; i < n; i++) {
            int rank = r.nextInt(5);
            int[] shape = new int[rank];
            for (int d = 0; d < rank; d++) {
                shape[d] = r.nextInt(r.nextInt(8) == 0 ? 1 : 5) + (r.nextInt(10) == 0 ? 0 : 1);
            }
            float[] data = new float[(int) Tensor.numel(shape)];
            for (int k = 0; k < data.length; k++) {
                data[k] = switch (r.nextInt(10)) {
                    case 0 -> Float.NaN;
                    case 1 -> Float.NEGATIVE_INFINITY;
                    case 2 -> -0.0f;
                    case 3 -> Float.MIN_VALUE;
                    default -> (float) r.nextGaussian();
                };
            }
            String name = "layer" + i + (r.nextBoolean() ? ".weight" : ".bias \"é✓\"");
            sd.put(name, new Tensor(data, shape));
        }
        if (r.nextBoolean()) {
            sd.put("bn.num_batches_tracked", new Tensor(new float[] {r.nextInt(100000)}));
        }
        return sd;
    }

    private static void assertSame(Map<String, Tensor> want, Map<String, Tensor> got) {
        assertEquals(new ArrayList<>(want.keySet()), new ArrayList<>(got.keySet()));
        for (String k : want.keySet()) {
            assertArrayEquals(want.get(k).shape(), got.get(k).shape(), k);
            float[] a = want.get(k).data();
            float[] b = got.get(k).data();
            assertEquals(a.length, b.length, k);
            for (int i = 0; i < a.length; i++) {
                // Bitwise equal (NaN, -0.0 included): float32 goes through unchanged.
                assertEquals(Float.floatToIntBits(a[i]), Float.floatToIntBits(b[i]), k + "[" + i + "]");
            }
        }
    }

    @Test
    void safetensorsRoundTrip() throws IOException {
        Random r = new Random(1);
        for (int i = 0; i < 40; i++) {
            Map<String, Tensor> sd = randomStateDict(r);
            Path p = dir.resolve("m" + i + ".safetensors");
            Safetensors.write(sd, p);
            assertSame(sd, Safetensors.read(p));
        }
    }

    @Test
    void torchRoundTrip() throws IOException {
        Random r = new Random(2);
        for (int i = 0; i < 40; i++) {
            Map<String, Tensor> sd = randomStateDict(r);
            Path p = dir.resolve("m" + i + ".pth");
            TorchFiles.write(sd, p);
            assertSame(sd, TorchFiles.read(p));
        }
    }

    @Test
    void stateDictsDispatch() throws IOException {
        Map<String, Tensor> sd = randomStateDict(new Random(3));
        for (String name : new String[] {"a.safetensors", "b.pth", "c.pt", "D.PTH"}) {
            Path p = dir.resolve(name);
            StateDicts.save(sd, p);
            assertSame(sd, StateDicts.load(p));
        }
        FormatException e = assertThrows(FormatException.class, () -> StateDicts.save(sd, dir.resolve("x.bin")));
        assertEquals("x.bin: cannot choose a format for extension '.bin' (use .safetensors, .pth or .pt)", e.getMessage());
    }

    @Test
    void npyRoundTrip() throws IOException {
        Random r = new Random(4);
        for (int i = 0; i < 30; i++) {
            Tensor t = randomStateDict(r).values().stream().findFirst().orElse(new Tensor(new float[] {1f}));
            Path p = dir.resolve("t" + i + ".npy");
            Npy.write(t, p);
            Tensor back = Npy.readFloat(p);
            assertSame(Map.of("t", t), Map.of("t", back));
            // NumPy aligns the data to 64 bytes.
            assertEquals(0, (Files.size(p) - t.size() * 4L) % 64);

            long[] longs = r.longs(t.size()).toArray();
            Path q = dir.resolve("l" + i + ".npy");
            Npy.writeLongs(longs, t.shape(), q);
            assertArrayEquals(longs, Npy.readLongs(q));
            assertArrayEquals(t.shape(), Npy.readShape(q));
        }
    }

    @Test
    void integerBufferKeepsItsValue() throws IOException {
        Map<String, Tensor> sd = Map.of("bn1.num_batches_tracked", new Tensor(new float[] {12345f}));
        for (String name : new String[] {"n.safetensors", "n.pth"}) {
            Path p = dir.resolve(name);
            StateDicts.save(sd, p);
            Tensor t = StateDicts.load(p).get("bn1.num_batches_tracked");
            assertEquals(0, t.rank());
            assertEquals(12345f, t.data()[0]);
        }
    }

    /** A failing writer leaves the previous file intact and no temporary file behind. */
    @Test
    void writesAreAtomic() throws IOException {
        Map<String, Tensor> good = randomStateDict(new Random(5));
        good.put("x", Tensor.zeros(3));
        Map<String, Tensor> failing = new AbstractMap<>() {
            @Override
            public Set<Entry<String, Tensor>> entrySet() {
                return new java.util.AbstractSet<>() {
                    @Override
                    public Iterator<Entry<String, Tensor>> iterator() {
                        Iterator<Entry<String, Tensor>> it = good.entrySet().iterator();
                        return new Iterator<>() {
                            int n;

                            @Override
                            public boolean hasNext() {
                                return true;
                            }

                            @Override
                            public Entry<String, Tensor> next() {
                                if (n++ >= good.size() - 1 || !it.hasNext()) {
                                    throw new IllegalStateException("disk full (simulated)");
                                }
                                return it.next();
                            }
                        };
                    }

                    @Override
                    public int size() {
                        return good.size();
                    }
                };
            }
        };
        for (String name : new String[] {"keep.safetensors", "keep.pth"}) {
            Path p = dir.resolve(name);
            StateDicts.save(good, p);
            byte[] before = Files.readAllBytes(p);
            assertThrows(IllegalStateException.class, () -> StateDicts.save(failing, p));
            assertArrayEquals(before, Files.readAllBytes(p), name + " must be untouched");
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(f -> f.getFileName().toString()).toList();
            assertTrue(names.stream().noneMatch(n -> n.endsWith(".tmp")), names.toString());
        }
    }
}
