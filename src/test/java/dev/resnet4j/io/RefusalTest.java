package dev.resnet4j.io;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every hostile fixture is refused with one line naming the file and the fault. */
class RefusalTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "evil_os_system.pth | pickle global 'os.system' is not allowed in a state dict",
            "evil_builtins_eval.pth | pickle global 'builtins.eval' is not allowed",
            "evil_builtins_exec.pth | pickle global 'builtins.exec' is not allowed",
            "evil_subprocess_Popen.pth | pickle global 'subprocess.Popen' is not allowed",
            "evil_posix_system.pth | pickle global 'posix.system' is not allowed",
            "evil_nt_system.pth | pickle global 'nt.system' is not allowed",
            "evil_torch_storage__load_from_bytes.pth | pickle global 'torch.storage._load_from_bytes' is not allowed",
            "evil_stack_global.pth | pickle global 'posix.system' is not allowed",
            "evil_legacy_os_system.pth | pickle global 'os.system' is not allowed",
            "evil_inst.pth | pickle opcode INST (0x69)",
            "storage_too_small.pth | tensor 'w' has 16 elements but its storage only 12",
            "storage_offset_past_end.pth | tensor 'w' reads element 12 of a storage with only 12 elements",
            "negative_stride.pth | tensor 'w' has negative stride -1",
            "negative_size.pth | tensor 'w' has invalid size -3",
            "overflow_size.pth | tensor 'w' has invalid size 1099511627776",
            "expanded_view.pth | expanded views are not supported",
            "storage_size_mismatch.pth | storage '0' holds 12 elements but its persistent id declares 100",
            "storage_missing.pth | storage '0' has no entry archive/data/0",
            "zip_dotdot.pth | entry name 'archive/../evil.sh' contains '..'",
            "zip_two_prefixes.pth | zip entries have different folders",
            "zip_truncated.pth | has no end-of-central-directory record (truncated file?)",
            "zip_duplicate.pth | has duplicate entry 'archive/data/0'",
            "not_a_dict.pth | file holds a list, not a state dict",
            "pickle_truncated.pth | pickle ends without STOP",
            "st_overlap.safetensors | overlap the previous tensor",
            "st_hole.safetensors | hole in the data section",
            "st_past_end.safetensors | tensor data ends at byte 16 but the data section has only 8",
            "st_size_mismatch.safetensors | with shape [3] and dtype F32 needs 12 bytes",
            "st_unknown_dtype.safetensors | has unknown dtype 'C64'",
            "st_negative.safetensors | has invalid dimension -2",
            "st_overflow.safetensors | is out of range",
            "st_duplicate.safetensors | duplicate key \"a\"",
            "st_bad_utf8.safetensors | header is not valid UTF-8",
            "st_bad_json.safetensors | invalid JSON header",
            "st_huge_header.safetensors | safetensors header length 4611686018427387904 is outside",
            "st_header_past_end.safetensors | runs past the end of the file",
            "npy_bad_magic.npy | not a .npy file (bad magic)",
            "npy_object.npy | object arrays are refused",
            "npy_version.npy | .npy version 9.0 is not supported",
            "npy_shape_mismatch.npy | needs 4000000 data bytes but the file has 16",
            "npy_huge_header.npy | exceeds the 65536-byte limit",
            "npy_eval_header.npy | header is not a valid dict literal",
    })
    void refuses(String file, String fault) {
        Path p = Fixtures.path(file);
        FormatException e = assertThrows(FormatException.class, () -> {
            if (file.endsWith(".npy")) {
                Npy.read(p);
            } else {
                StateDicts.load(p);
            }
        });
        String msg = e.getMessage();
        assertTrue(msg.startsWith(file + ": "), msg);
        assertTrue(msg.contains(fault), "expected '" + fault + "' in: " + msg);
        assertFalse(msg.contains("\n"), msg);
    }
}
