package dev.resnet4j.data;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetLocatorTest {
    @TempDir
    Path tmp;

    private HttpServer server;
    private final Map<String, byte[]> served = new ConcurrentHashMap<>();
    private final AtomicInteger requests = new AtomicInteger();

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            String name = exchange.getRequestURI().getPath().substring(1);
            byte[] body = served.get(name);
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    static String md5(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }

    /** Serves four small valid gzipped IDX files under the official names; returns their bytes. */
    private Map<String, byte[]> serveGeneratedSet() throws IOException {
        Path gen = Files.createDirectories(tmp.resolve("generated"));
        Idx.writeImages(gen.resolve(MnistDataset.TRAIN_IMAGES), IdxTest.randomBytes(6 * 28 * 28, 1), 6, 28, 28);
        Idx.writeLabels(gen.resolve(MnistDataset.TRAIN_LABELS), new byte[] {0, 1, 2, 3, 4, 5});
        Idx.writeImages(gen.resolve(MnistDataset.TEST_IMAGES), IdxTest.randomBytes(2 * 28 * 28, 2), 2, 28, 28);
        Idx.writeLabels(gen.resolve(MnistDataset.TEST_LABELS), new byte[] {9, 8});
        Map<String, byte[]> files = new HashMap<>();
        for (String f : MnistDataset.FILES) {
            files.put(f, Files.readAllBytes(gen.resolve(f)));
        }
        served.putAll(files);
        return files;
    }

    private DatasetLocator locator(Path cache) {
        return new DatasetLocator(MnistDataset.Variant.FASHION_MNIST, cache, List.of(tmp.resolve("no-system-dir")),
                List.of(base()), MnistDataset.Variant.FASHION_MNIST.md5, true, Duration.ofSeconds(5));
    }

    @Test
    void locateDownloadsVerifiesAndRenamesIntoTheCache() throws Exception {
        Map<String, byte[]> files = serveGeneratedSet();
        Map<String, String> md5 = new HashMap<>();
        for (var e : files.entrySet()) {
            md5.put(e.getKey(), md5(e.getValue()));
        }
        // first mirror is dead (404 for everything): the second one must be used
        DatasetLocator loc = locator(tmp.resolve("cache")).withChecksums(md5)
                .withMirrors(List.of(base() + "missing/", base()));
        assertEquals(loc.cacheDir(), loc.locate(tmp.resolve("empty-data-dir")));
        for (String f : MnistDataset.FILES) {
            assertArrayEquals(files.get(f), Files.readAllBytes(loc.cacheDir().resolve(f)));
        }
        MnistDataset train = MnistDataset.load(loc.cacheDir(), true, MnistDataset.Variant.FASHION_MNIST);
        assertEquals(6, train.size());
        assertEquals(5, train.label(5));
        try (var listing = Files.list(loc.cacheDir())) {
            assertTrue(listing.noneMatch(p -> p.toString().endsWith(".part")), "temporary files left behind");
        }
        int before = requests.get();
        assertEquals(loc.cacheDir(), loc.locate(null));
        assertEquals(before, requests.get(), "a complete cache must not be downloaded again");
    }

    @Test
    void fetchRefusesABadChecksumAndLeavesNothing() throws Exception {
        serveGeneratedSet();
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        String file = MnistDataset.TRAIN_LABELS;
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> DatasetLocator.fetch(
                java.net.http.HttpClient.newHttpClient(), java.net.URI.create(base() + file), cache.resolve(file),
                md5(new byte[] {1, 2, 3})));
        assertTrue(e.getMessage().contains("MD5"), e.getMessage());
        try (var listing = Files.list(cache)) {
            assertEquals(0, listing.count(), "nothing may be left in the cache");
        }
    }

    @Test
    void locateDownloadsWithPublishedChecksumsAndRefusesGeneratedFiles() throws IOException {
        // The server serves files whose MD5s are not the published ones: locate must refuse them.
        serveGeneratedSet();
        DatasetLocator loc = locator(tmp.resolve("cache"));
        DatasetLocator.DatasetNotFoundException e = assertThrows(DatasetLocator.DatasetNotFoundException.class,
                () -> loc.locate(null));
        String m = e.getMessage();
        assertTrue(m.contains("MD5"), m);
        assertTrue(m.contains("apt-get install dataset-fashion-mnist"), m);
        assertTrue(m.contains(MnistDataset.Variant.FASHION_MNIST.mirrors.get(0) + MnistDataset.TRAIN_IMAGES), m);
        assertTrue(m.contains(loc.cacheDir().toString()), m);
        assertFalse(m.contains("\n"), m);
        assertFalse(Files.exists(loc.cacheDir().resolve(MnistDataset.TRAIN_IMAGES)));
    }

    @Test
    void offlineFailureSaysHowToGetTheFiles() {
        server.stop(0);
        DatasetLocator loc = locator(tmp.resolve("cache"));
        DatasetLocator.DatasetNotFoundException e = assertThrows(DatasetLocator.DatasetNotFoundException.class,
                () -> loc.locate(tmp.resolve("data")));
        assertTrue(e.getMessage().contains("download failed"), e.getMessage());
        assertTrue(e.getMessage().contains(tmp.resolve("data").toString()), e.getMessage());
        assertThrows(DatasetLocator.DatasetNotFoundException.class, () -> loc.withDownload(false).locate(null));
    }

    @Test
    void searchOrderIsDataDirThenCacheThenSystem() throws IOException {
        Path data = tmp.resolve("data");
        Path cache = tmp.resolve("cache");
        Path system = tmp.resolve("system");
        DatasetLocator loc = locator(cache).withSystemDirs(List.of(system)).withDownload(false);
        for (Path p : List.of(system, cache, data)) {
            Files.createDirectories(p);
            for (String f : MnistDataset.FILES) {
                // uncompressed names count too
                Files.write(p.resolve(f.equals(MnistDataset.TEST_LABELS) ? f.replace(".gz", "") : f), new byte[1]);
            }
            assertEquals(p, loc.locate(data));
        }
        assertEquals(cache, loc.locate(null));
        assertEquals(0, requests.get());
    }

    @Test
    void cacheDirHonoursXdg() {
        assertEquals(Paths.get("/x/cache/resnet4j"), DatasetLocator.defaultCacheDir(Map.of("XDG_CACHE_HOME", "/x/cache"), "/home/u"));
        assertEquals(Paths.get("/home/u/.cache/resnet4j"), DatasetLocator.defaultCacheDir(Map.of(), "/home/u"));
        assertEquals(Paths.get("/home/u/.cache/resnet4j"),
                DatasetLocator.defaultCacheDir(Map.of("XDG_CACHE_HOME", "relative"), "/home/u"));
    }
}
