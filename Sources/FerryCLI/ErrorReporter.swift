import ArgumentParser
import FerryArchive
import FerryArtifacts
import FerryCore
import FerryFormat
import FerryHTTP
import FerryInputs
import FerryOperations
import FerryPlan
import FerryRegistry
import FerryServe
import FerryTransfer

/// The one place errors become messages and exit codes (listed in `ferry --help`).
enum ErrorReporter {
    static func exit(for error: any Error, terminal: Terminal) -> any Error {
        if error is ValidationError || error is ExitCode || error is CleanExit { return error }
        terminal.clearProgress()
        terminal.err("ferry: error: \(describe(error))\n")
        return ExitCode(code(for: error))
    }

    static func describe(_ error: any Error) -> String {
        String(describing: error)
    }

    static func code(for error: any Error) -> Int32 {
        switch error {
        case is CancellationError:
            return 130
        case is InputError:
            return 65
        case let error as FerryCoreError:
            switch error {
            case .digestMismatch, .sizeMismatch, .sizeExceeded: return 76
            case .io: return 74
            case .encoding: return 1
            default: return 65
            }
        case let error as FerryFormatError:
            switch error {
            case .image(_, _, let underlying): return code(for: underlying)
            case .output: return 74
            case .input, .compressedInput, .unsupportedMediaType: return 65
            case .damaged: return 76
            }
        case let error as FerryTransferError:
            switch error {
            case .image(_, _, let underlying), .blob(_, _, _, let underlying): return code(for: underlying)
            case .descriptorMismatch: return 76
            case .platformNotFound, .unsupportedMediaType, .supply: return 65
            }
        case let error as FerryOperationsError:
            switch error {
            case .output: return 74
            case .input, .noImages: return 65
            case .targetIncomplete: return 76
            }
        case let error as RegistryError:
            switch error {
            case .unauthorized, .refusedRealm, .credentialHelper, .challengeFromRedirectTarget: return 77
            case .authFile, .certificateDirectory: return 65
            case .manifestDigestMismatch, .uploadDigestMismatch: return 76
            case .verification(let inner, _): return code(for: inner)
            default: return 69
            }
        case let error as FerryInputsError:
            // Input files are bad input, except when listing a registry's tags failed.
            if case .tagListing(_, let underlying) = error { return code(for: underlying) }
            return 65
        case let error as FerryPlanError:
            // A pinned image that no longer comes out as planned is the registry's content
            // changing under the plan: like a digest mismatch.
            if case .pinned = error { return 76 }
            return 65
        case is FerryHTTPError:
            return 69
        case let error as FerryArtifactsError:
            switch error {
            case .request, .index, .chart, .tooLarge, .file: return 65
            case .chartNotFound: return 69
            case .digestMismatch: return 76
            }
        case let error as FerryServeError:
            switch error {
            case .bundle: return 65
            case .changed: return 74
            case .server: return 69
            }
        case let error as FerryArchiveError:
            // What an archive says about itself is bad input; only ferry's own writing is local I/O
            // (issue 15, item 19: a hostile member name exited 74).
            switch error {
            case .unsafeMemberName, .truncated, .malformedHeader, .decompressionLimit: return 65
            case .libarchive, .nameTooLong: return 74
            }
        default:
            return 1
        }
    }
}
