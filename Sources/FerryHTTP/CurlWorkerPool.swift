import FerryCore
import Foundation

/// A fixed set of our own threads that run blocking libcurl transfers.
///
/// Swift's cooperative pool has one thread per core; a blocking `curl_easy_perform` there would
/// starve every other task. Each worker owns one `CurlEasy` for its whole life, which keeps
/// connections alive between the requests it runs. Jobs wait in a FIFO when all workers are busy.
final class CurlWorkerPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var stopped = false
    private var workersStarted = 0
    private let maximumWorkers: Int
    private var idleWorkers = 0

    struct Job {
        let run: (Result<CurlEasy, FerryHTTPError>) -> Void
    }

    init(maximumWorkers: Int) {
        self.maximumWorkers = max(1, maximumWorkers)
    }

    deinit {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Queues `job`; starts another worker when none is idle and the limit allows.
    func submit(_ run: @escaping (Result<CurlEasy, FerryHTTPError>) -> Void) {
        condition.lock()
        queue.append(Job(run: run))
        if idleWorkers == 0 && workersStarted < maximumWorkers {
            workersStarted += 1
            let thread = Thread { [weak self] in self?.workerLoop() }
            thread.name = "ferry-curl-\(workersStarted)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        condition.signal()
        condition.unlock()
    }

    private func workerLoop() {
        // A worker whose handle could not be made still takes jobs and fails each with the reason.
        let easy: Result<CurlEasy, FerryHTTPError>
        do {
            easy = .success(try CurlEasy())
        } catch {
            easy = .failure(error)
        }
        while true {
            condition.lock()
            idleWorkers += 1
            while queue.isEmpty && !stopped { condition.wait() }
            idleWorkers -= 1
            if queue.isEmpty && stopped {
                condition.unlock()
                return
            }
            let job = queue.removeFirst()
            condition.unlock()
            job.run(easy)
        }
    }
}
