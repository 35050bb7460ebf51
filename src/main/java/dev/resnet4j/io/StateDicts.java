package dev.resnet4j.io;

import dev.resnet4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * One entry point for state-dict files: {@link #load} recognises the format by content,
 * {@link #save} chooses it by extension.
 *
 * <pre>{@code
 * Map<String, Tensor> state = StateDicts.load(Path.of("resnet18.pth"));  // torch.save output or .safetensors
 * model.loadStateDict(state, true);
 * StateDicts.save(model.stateDict(), Path.of("resnet18.safetensors"));   // or .pth / .pt
 * }</pre>
 *
 * <p>Reading never executes code from the file and refuses malformed input with a
 * {@link FormatException} naming the file and the fault (see SECURITY.md). Written
 * {@code .pth} files load with {@code torch.load(path, weights_only=True)}.
 */
public final class StateDicts {
    private StateDicts() {
    }

    /**
     * Loads a state dict from a safetensors file or a {@code torch.save} file (zip or legacy),
     * recognised by its first bytes rather than its name.
     */
    public static Map<String, Tensor> load(Path file) throws IOException {
        byte[] bytes = AtomicFiles.readAll(file);
        String source = FormatException.nameOf(file);
        if (ZipArchive.looksLikeZip(bytes)) {
            return TorchFiles.parseZip(bytes, source);
        }
        if (bytes.length > 0 && (bytes[0] & 0xff) == 0x80) {
            return TorchFiles.parseLegacy(bytes, source);
        }
        // A safetensors file starts with its header length, so it has no magic of its own; a
        // .pth name that reaches here is reported as a torch file, which is what the user meant.
        String ext = extension(file);
        if (ext.equals(".pth") || ext.equals(".pt") || ext.equals(".bin") || ext.equals(".ckpt")) {
            return TorchFiles.parse(bytes, source);
        }
        return Safetensors.parse(bytes, source);
    }

    /** Saves by extension: {@code .safetensors}, or {@code .pth}/{@code .pt} (torch zip format). */
    public static void save(Map<String, Tensor> state, Path file) throws IOException {
        String ext = extension(file);
        switch (ext) {
            case ".safetensors" -> Safetensors.write(state, file);
            case ".pth", ".pt" -> TorchFiles.write(state, file);
            default -> throw new FormatException(FormatException.nameOf(file), "cannot choose a format for extension '"
                    + ext + "' (use .safetensors, .pth or .pt)");
        }
    }

    private static String extension(Path file) {
        String name = FormatException.nameOf(file).toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot);
    }
}
