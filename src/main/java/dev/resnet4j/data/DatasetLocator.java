package dev.resnet4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Finds the files of MNIST or Fashion-MNIST, downloading them into the user's cache if needed.
 *
 * <p>Search order: the given data directory (and its sub-directory named after the dataset),
 * the cache {@code $XDG_CACHE_HOME/resnet4j/ID} (default {@code ~/.cache/resnet4j/ID}), then
 * {@code /usr/share/datasets/ID} (Debian's {@code dataset-fashion-mnist}). If none holds all
 * four files, each missing file is downloaded from the mirrors in turn, checked against the
 * published MD5 while streaming to a temporary file, and renamed into place only when it
 * matches. Local files are not checksummed: Debian recompresses them, so their MD5 differs
 * while their content is the same, and the IDX reader validates structure anyway.
 */
public final class DatasetLocator {
    private final MnistDataset.Variant variant;
    private final Path cacheDir;
    private final List<Path> systemDirs;
    private final List<String> mirrors;
    private final Map<String, String> md5;
    private final boolean allowDownload;
    private final Duration timeout;

    /**
     * @param mirrors base URLs tried in order, each file being {@code base + name}
     * @param md5     expected MD5 (hex) of each of the four files
     */
    public DatasetLocator(MnistDataset.Variant variant, Path cacheDir, List<Path> systemDirs, List<String> mirrors,
                          Map<String, String> md5, boolean allowDownload, Duration timeout) {
        this.variant = variant;
        this.cacheDir = cacheDir;
        this.systemDirs = List.copyOf(systemDirs);
        this.mirrors = List.copyOf(mirrors);
        this.md5 = Map.copyOf(md5);
        this.allowDownload = allowDownload;
        this.timeout = timeout;
    }

    /** The standard locator: real cache dir, {@code /usr/share/datasets}, official mirrors. */
    public static DatasetLocator standard(MnistDataset.Variant variant) {
        return new DatasetLocator(variant, defaultCacheDir(System.getenv(), System.getProperty("user.home"))
                .resolve(variant.id), List.of(Paths.get("/usr/share/datasets", variant.id)), variant.mirrors,
                variant.md5, true, Duration.ofSeconds(30));
    }

    /** Same locator with other mirrors (tests point this at a local server). */
    public DatasetLocator withMirrors(List<String> newMirrors) {
        return new DatasetLocator(variant, cacheDir, systemDirs, newMirrors, md5, allowDownload, timeout);
    }

    public DatasetLocator withChecksums(Map<String, String> newMd5) {
        return new DatasetLocator(variant, cacheDir, systemDirs, mirrors, newMd5, allowDownload, timeout);
    }

    public DatasetLocator withCacheDir(Path dir) {
        return new DatasetLocator(variant, dir, systemDirs, mirrors, md5, allowDownload, timeout);
    }

    public DatasetLocator withSystemDirs(List<Path> dirs) {
        return new DatasetLocator(variant, cacheDir, dirs, mirrors, md5, allowDownload, timeout);
    }

    public DatasetLocator withDownload(boolean allow) {
        return new DatasetLocator(variant, cacheDir, systemDirs, mirrors, md5, allow, timeout);
    }

    /** {@code $XDG_CACHE_HOME/resnet4j} if set (and absolute, as the spec requires), else {@code ~/.cache/resnet4j}. */
    public static Path defaultCacheDir(Map<String, String> env, String userHome) {
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isEmpty() && Paths.get(xdg).isAbsolute()) {
            return Paths.get(xdg, "resnet4j");
        }
        return Paths.get(userHome, ".cache", "resnet4j");
    }

    public Path cacheDir() {
        return cacheDir;
    }

    /** Directories searched, in order, for a given (possibly null) data directory. */
    public List<Path> candidates(Path dataDir) {
        List<Path> dirs = new ArrayList<>();
        if (dataDir != null) {
            dirs.add(dataDir);
            dirs.add(dataDir.resolve(variant.id));
        }
        dirs.add(cacheDir);
        dirs.addAll(systemDirs);
        return dirs;
    }

    /** The first directory holding all four files, downloading into the cache if none does. */
    public Path locate(Path dataDir) throws IOException {
        for (Path dir : candidates(dataDir)) {
            if (complete(dir)) {
                return dir;
            }
        }
        if (!allowDownload) {
            throw new DatasetNotFoundException(howToGet(dataDir, "downloading is disabled"));
        }
        try {
            download();
        } catch (IOException e) {
            throw new DatasetNotFoundException(howToGet(dataDir, "download failed: " + oneLine(e)), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DatasetNotFoundException(howToGet(dataDir, "download interrupted"), e);
        }
        return cacheDir;
    }

    private static boolean complete(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        for (String f : MnistDataset.FILES) {
            if (MnistDataset.find(dir, f) == null) {
                return false;
            }
        }
        return true;
    }

    /** Downloads every file missing from the cache, verifying each MD5. */
    public void download() throws IOException, InterruptedException {
        Files.createDirectories(cacheDir);
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        for (String file : MnistDataset.FILES) {
            if (MnistDataset.find(cacheDir, file) != null) {
                continue;
            }
            IOException last = null;
            for (String mirror : mirrors) {
                try {
                    fetch(client, URI.create(mirror + file), cacheDir.resolve(file), md5.get(file));
                    last = null;
                    break;
                } catch (IOException e) {
                    last = e;
                }
            }
            if (last != null) {
                throw last;
            }
        }
    }

    /** GET {@code uri} into a temporary file beside {@code target}, check the MD5, then rename. */
    static void fetch(HttpClient client, URI uri, Path target, String expectedMd5) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).GET().build();
        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(tmp)) {
                if (response.statusCode() != 200) {
                    throw new IOException(uri + " answered HTTP " + response.statusCode());
                }
                byte[] buf = new byte[1 << 16];
                for (int r; (r = in.read(buf)) >= 0; ) {
                    md5.update(buf, 0, r);
                    out.write(buf, 0, r);
                }
            }
            String actual = HexFormat.of().formatHex(md5.digest());
            if (!actual.equalsIgnoreCase(expectedMd5)) {
                throw new InvalidDataException(uri + ": MD5 " + actual + " does not match the published " + expectedMd5);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no MD5", e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private String howToGet(Path dataDir, String reason) {
        StringBuilder s = new StringBuilder(variant.id).append(" not found in ").append(candidates(dataDir))
                .append(" (").append(reason).append("). To get it: ");
        if (variant.debianPackage != null) {
            s.append("sudo apt-get install ").append(variant.debianPackage).append(", or ");
        }
        s.append("download ");
        String base = variant.mirrors.get(0);
        for (int i = 0; i < MnistDataset.FILES.size(); i++) {
            s.append(i == 0 ? "" : ", ").append(base).append(MnistDataset.FILES.get(i));
        }
        s.append(" into ").append(cacheDir).append(" (or into a directory given with --data-dir)");
        return s.toString();
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replace('\n', ' ');
    }

    /** The dataset is nowhere to be found and could not be downloaded; the message says how to get it. */
    public static final class DatasetNotFoundException extends IOException {
        DatasetNotFoundException(String message) {
            super(message);
        }

        DatasetNotFoundException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
