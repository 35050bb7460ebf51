package dev.resnet4j.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataLoaderTest {
    /** n images of 1×2×3; image i has every pixel (i % 256) and label i % 10. */
    static ByteImageDataset tiny(int n) {
        byte[] pixels = new byte[n * 6];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            Arrays.fill(pixels, i * 6, i * 6 + 6, (byte) i);
            labels[i] = (byte) (i % 10);
        }
        return new ByteImageDataset(pixels, labels, 1, 2, 3, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
    }

    /** Copies of every batch of an epoch: images flattened, then labels. */
    static List<float[]> collect(DataLoader loader, int epoch, List<int[]> labelsOut) {
        List<float[]> out = new ArrayList<>();
        try (DataLoader.Epoch e = loader.epoch(epoch)) {
            for (DataLoader.Batch b : e) {
                out.add(b.images().data().clone());
                labelsOut.add(b.labels().clone());
            }
        }
        return out;
    }

    @Test
    void noShuffleIsFileOrderWithSmallerLastBatch() {
        ByteImageDataset d = tiny(23);
        DataLoader loader = DataLoader.builder(d).batchSize(5).shuffle(false).build();
        assertEquals(5, loader.batchesPerEpoch());
        List<int[]> labels = new ArrayList<>();
        List<float[]> images = collect(loader, 0, labels);
        assertEquals(5, images.size());
        int next = 0;
        for (int b = 0; b < images.size(); b++) {
            int n = labels.get(b).length;
            assertEquals(b < 4 ? 5 : 3, n);
            assertEquals(n * 6, images.get(b).length);
            for (int i = 0; i < n; i++, next++) {
                assertEquals(d.label(next), labels.get(b)[i]);
                float[] expected = new float[6];
                d.get(next, expected, 0);
                assertArrayEquals(expected, Arrays.copyOfRange(images.get(b), i * 6, i * 6 + 6));
            }
        }
        assertEquals(d.size(), next);
    }

    @Test
    void sameSeedSameBatchesDifferentEpochDifferentOrder() {
        ByteImageDataset d = tiny(50);
        DataLoader a = DataLoader.builder(d).batchSize(8).seed(42).augmentation(new Augmentation(1, 0.5))
                .normalization(Normalization.MNIST).build();
        DataLoader b = DataLoader.builder(d).batchSize(8).seed(42).augmentation(new Augmentation(1, 0.5))
                .normalization(Normalization.MNIST).build();
        List<int[]> la = new ArrayList<>();
        List<int[]> lb = new ArrayList<>();
        List<float[]> ia = collect(a, 3, la);
        List<float[]> ib = collect(b, 3, lb);
        for (int i = 0; i < ia.size(); i++) {
            assertArrayEquals(ia.get(i), ib.get(i));
            assertArrayEquals(la.get(i), lb.get(i));
        }
        int[] o0 = a.order(0);
        int[] o1 = a.order(1);
        assertFalse(Arrays.equals(o0, o1));
        assertArrayEquals(o0, b.order(0));
        assertFalse(Arrays.equals(o0, DataLoader.builder(d).seed(43).build().order(0)));
        // a permutation: every image exactly once
        Set<Integer> seen = new HashSet<>();
        for (int i : o1) {
            seen.add(i);
        }
        assertEquals(d.size(), seen.size());
    }

    @Test
    void shuffledBatchesFollowTheEpochOrder() {
        ByteImageDataset d = tiny(30);
        DataLoader loader = DataLoader.builder(d).batchSize(7).seed(5).build();
        int[] order = loader.order(2);
        int pos = 0;
        try (DataLoader.Epoch e = loader.epoch(2)) {
            for (DataLoader.Batch b : e) {
                for (int i = 0; i < b.size(); i++, pos++) {
                    assertEquals(order[pos], b.indices()[i]);
                    assertEquals(d.label(order[pos]), b.labels()[i]);
                    assertEquals((order[pos] & 0xff) / 255f, b.images().data()[i * 6]);
                }
            }
        }
        assertEquals(d.size(), pos);
    }

    @Test
    void augmentationChangesImagesButKeepsLabels() {
        ByteImageDataset d = tiny(40);
        DataLoader plain = DataLoader.builder(d).batchSize(40).seed(1).build();
        DataLoader aug = DataLoader.builder(d).batchSize(40).seed(1).augmentation(new Augmentation(1, 0)).build();
        List<int[]> lp = new ArrayList<>();
        List<int[]> la = new ArrayList<>();
        float[] p = collect(plain, 0, lp).get(0);
        float[] a = collect(aug, 0, la).get(0);
        assertArrayEquals(lp.get(0), la.get(0));
        assertNotEquals(Arrays.toString(p), Arrays.toString(a));
        // padding can only bring in zeros; each image is otherwise its own constant
        for (int i = 0; i < 40; i++) {
            for (int k = 0; k < 6; k++) {
                float v = a[i * 6 + k];
                assertTrue(v == 0f || v == p[i * 6], "image " + i);
            }
        }
    }

    @Test
    void buffersAreReusedAcrossBatches() {
        DataLoader loader = DataLoader.builder(tiny(40)).batchSize(4).shuffle(false).build();
        try (DataLoader.Epoch e = loader.epoch(0)) {
            DataLoader.Batch b0 = e.next();
            float[] first = b0.images().data();
            e.next();
            DataLoader.Batch b2 = e.next();
            assertSame(first, b2.images().data());
        }
    }

    @Test
    void workerExceptionReachesTheConsumer() {
        ByteImageDataset good = tiny(20);
        IllegalStateException boom = new IllegalStateException("disk on fire");
        Dataset failing = watched(good, index -> {
            if (index == 13) {
                throw boom;
            }
        });
        DataLoader loader = DataLoader.builder(failing).batchSize(4).shuffle(false).build();
        DataLoader.Epoch e = loader.epoch(0);
        e.next();
        e.next();
        e.next();
        DataLoader.DataLoaderException ex = assertThrows(DataLoader.DataLoaderException.class, e::next);
        assertSame(boom, ex.getCause());
        assertTrue(e.workerDone());
        assertFalse(e.hasNext());
    }

    /** {@code d}, calling {@code onGet} with the index before each image is read. */
    static Dataset watched(ByteImageDataset d, java.util.function.IntConsumer onGet) {
        return new Dataset() {
            public int size() { return d.size(); }
            public int channels() { return d.channels(); }
            public int height() { return d.height(); }
            public int width() { return d.width(); }
            public int numClasses() { return d.numClasses(); }
            public List<String> classNames() { return d.classNames(); }
            public int label(int index) { return d.label(index); }
            public void get(int index, float[] dst, int off) {
                onGet.accept(index);
                d.get(index, dst, off);
            }
        };
    }

    @Test
    void nextBatchIsPreparedWhileTheCurrentOneIsHeldButNoFurther() throws InterruptedException {
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        DataLoader loader = DataLoader.builder(watched(tiny(40), i -> reads.incrementAndGet())).batchSize(4).shuffle(false).build();
        try (DataLoader.Epoch e = loader.epoch(0)) {
            e.next();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (reads.get() < 8 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(8, reads.get(), "batch 1 must be read while batch 0 is held");
            Thread.sleep(50);
            assertEquals(8, reads.get(), "only two buffers: batch 2 must wait until batch 0 is released");
        }
    }

    @Test
    void closeStopsTheWorkerEarly() throws InterruptedException {
        DataLoader loader = DataLoader.builder(tiny(100)).batchSize(2).build();
        DataLoader.Epoch e = loader.epoch(0);
        e.next();
        e.close();
        assertTrue(e.workerDone());
        assertFalse(e.hasNext());
    }
}
