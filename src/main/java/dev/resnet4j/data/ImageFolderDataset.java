package dev.resnet4j.data;

import dev.resnet4j.tensor.Parallel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * torchvision's {@code ImageFolder}: one sub-directory per class, class names sorted, label =
 * index in that order; images found recursively under each class directory, in sorted path
 * order. Files are decoded once at load time (PNG, JPEG, BMP, GIF via javax.imageio; other
 * files are ignored), converted to the requested channels and resized to exactly height×width
 * with Pillow's bilinear filter, then kept as bytes.
 */
public final class ImageFolderDataset extends ByteImageDataset {
    public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");

    private final List<Path> files;

    private ImageFolderDataset(byte[] pixels, byte[] labels, int channels, int height, int width,
                               List<String> classNames, List<Path> files) {
        super(pixels, labels, channels, height, width, classNames);
        this.files = List.copyOf(files);
    }

    /** The image files, index = dataset index. */
    public List<Path> files() {
        return files;
    }

    public static ImageFolderDataset load(Path root, int channels, int height, int width) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new java.nio.file.NoSuchFileException(root + " (expected a directory with one sub-directory per class)");
        }
        List<String> classes = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().forEach(classes::add);
        }
        if (classes.isEmpty()) {
            throw new InvalidDataException(root + ": no class sub-directories");
        }
        if (classes.size() > 256) {
            throw new InvalidDataException(root + ": " + classes.size() + " classes, at most 256 are supported");
        }
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            List<Path> found;
            try (Stream<Path> s = Files.walk(root.resolve(classes.get(c)))) {
                found = s.filter(Files::isRegularFile).filter(ImageFolderDataset::isImage).sorted().toList();
            }
            if (found.isEmpty()) {
                throw new InvalidDataException(root.resolve(classes.get(c)) + ": class folder holds no image "
                        + "(looked for " + EXTENSIONS + ")");
            }
            for (Path f : found) {
                files.add(f);
                labels.add(c);
            }
        }
        int per = channels * height * width;
        byte[] pixels = new byte[Math.multiplyExact(files.size(), per)];
        byte[] labelBytes = new byte[files.size()];
        try {
            Parallel.forEach(files.size(), i -> {
                try {
                    ByteImage img = ImageDecoder.read(files.get(i)).toChannels(channels).resize(height, width);
                    System.arraycopy(img.data(), 0, pixels, i * per, per);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                labelBytes[i] = (byte) (int) labels.get(i);
            });
        } catch (UncheckedIOException e) {
            // ForkJoin may rethrow a copy whose cause is the original wrapper: find the IOException.
            Throwable t = e;
            while (!(t instanceof IOException) && t.getCause() != null) {
                t = t.getCause();
            }
            throw t instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        return new ImageFolderDataset(pixels, labelBytes, channels, height, width, classes, files);
    }

    private static boolean isImage(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }
}
