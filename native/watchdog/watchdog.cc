// One watchdog thread per isolate for calls into workflow code: run(fn, timeoutMs) calls fn and,
// if it has not returned within timeoutMs, terminates the isolate's JavaScript and throws an
// Error with code ERR_SCRIPT_EXECUTION_TIMEOUT, as node:vm's `timeout` option does. node:vm
// starts and joins a thread for every call; this thread lives as long as the isolate, and a
// call only takes a mutex twice. A timeout that is not a positive number times nothing; one
// longer than a day is a day. The thread starts when the addon loads (libuv's threads, whose
// failure is an error code, not an abort under -fno-exceptions); where it cannot start, the
// addon exports `error` instead of `run` and the sandbox falls back to node:vm's watchdog.
#include <node.h>
#include <uv.h>
#include <v8.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

struct Watchdog {
  explicit Watchdog(v8::Isolate* isolate) : isolate(isolate) {}

  v8::Isolate* const isolate;
  std::mutex mutex;
  std::condition_variable wake;
  uv_thread_t thread;
  bool started = false;
  bool stopping = false;
  bool armed = false;
  bool fired = false;
  int depth = 0;
  Clock::time_point deadline;
  // The time the thread sleeps until; max while it waits for a call to be armed.
  Clock::time_point sleepsUntil = Clock::time_point::max();

  void Loop() {
    std::unique_lock<std::mutex> lock(mutex);
    while (!stopping) {
      if (!armed) {
        sleepsUntil = Clock::time_point::max();
        wake.wait(lock);
        continue;
      }
      if (Clock::now() >= deadline) {
        armed = false;
        fired = true;
        isolate->TerminateExecution();
        continue;
      }
      sleepsUntil = deadline;
      wake.wait_until(lock, deadline);
    }
  }

  // Starts the thread; 0, or libuv's error code. Its stack is small: it only waits and signals.
  int Start() {
    uv_thread_options_t options{};
    options.flags = UV_THREAD_HAS_STACK_SIZE;
    options.stack_size = 256 * 1024;
    int status = uv_thread_create_ex(
        &thread, &options, [](void* self) { static_cast<Watchdog*>(self)->Loop(); }, this);
    started = status == 0;
    return status;
  }

  // Arms the watchdog for a call that must return by `until`.
  void Arm(Clock::time_point until) {
    bool notify;
    {
      std::lock_guard<std::mutex> lock(mutex);
      armed = true;
      fired = false;
      deadline = until;
      // A thread asleep until an earlier time wakes then and sleeps again until this deadline:
      // no wake-up (a system call and a context switch) per call.
      notify = until < sleepsUntil;
    }
    if (notify) wake.notify_one();
  }

  // Disarms it; true if it fired during the call.
  bool Disarm() {
    std::lock_guard<std::mutex> lock(mutex);
    armed = false;
    bool result = fired;
    fired = false;
    return result;
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_one();
    if (started) uv_thread_join(&thread);
  }
};

void Run(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  auto* watchdog = static_cast<Watchdog*>(args.Data().As<v8::External>()->Value());
  if (args.Length() < 2 || !args[0]->IsFunction() || !args[1]->IsNumber()) {
    isolate->ThrowException(v8::Exception::TypeError(
        v8::String::NewFromUtf8Literal(isolate, "run(fn, timeoutMs): fn must be a function and "
                                                "timeoutMs a number.")));
    return;
  }
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Function> fn = args[0].As<v8::Function>();
  double timeoutMs = args[1].As<v8::Number>()->Value();
  if (watchdog->depth > 0 || !(timeoutMs > 0)) {
    // A nested call runs under the outer call's deadline.
    v8::MaybeLocal<v8::Value> result = fn->Call(context, v8::Undefined(isolate), 0, nullptr);
    if (!result.IsEmpty()) args.GetReturnValue().Set(result.ToLocalChecked());
    return;
  }
  constexpr double kMaxTimeoutMs = 24 * 60 * 60 * 1000.0;
  if (timeoutMs > kMaxTimeoutMs) timeoutMs = kMaxTimeoutMs;
  auto until = Clock::now() + std::chrono::microseconds(static_cast<int64_t>(timeoutMs * 1000));
  bool fired;
  v8::MaybeLocal<v8::Value> result;
  {
    v8::TryCatch tryCatch(isolate);
    watchdog->Arm(until);
    watchdog->depth++;
    result = fn->Call(context, v8::Undefined(isolate), 0, nullptr);
    watchdog->depth--;
    fired = watchdog->Disarm();
    // A termination that is not ours (worker.terminate(), process exit) goes on propagating.
    if (!fired && tryCatch.HasCaught() && !tryCatch.HasTerminated()) tryCatch.ReThrow();
  }
  if (fired) {
    // Whether the call had returned or not, the termination is ours to cancel.
    isolate->CancelTerminateExecution();
    v8::Local<v8::Value> error = v8::Exception::Error(
        v8::String::NewFromUtf8Literal(isolate, "Script execution timed out."));
    error.As<v8::Object>()
        ->Set(context, v8::String::NewFromUtf8Literal(isolate, "code"),
              v8::String::NewFromUtf8Literal(isolate, "ERR_SCRIPT_EXECUTION_TIMEOUT"))
        .Check();
    isolate->ThrowException(error);
    return;
  }
  if (!result.IsEmpty()) args.GetReturnValue().Set(result.ToLocalChecked());
}

// mutePromiseHooks(noop): node's promise hooks, installed in every context while an async hook is
// enabled, are replaced in the context that `noop` was created in by `noop` as the init hook
// alone. Its microtasks then push no async ids, so an interrupt in one leaves none behind (node 24
// no longer lets JavaScript pop them; see src/worker/sandbox/async-id-stack.ts). The init hook
// is kept, not cleared, because a context with no hooks at all would tell V8 that no context has
// any, and node's own would stop running everywhere. Node puts its hooks back in every context
// whenever an async hook is enabled or disabled, so the caller mutes again before each call.
void MutePromiseHooks(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  if (args.Length() < 1 || !args[0]->IsFunction()) {
    isolate->ThrowException(v8::Exception::TypeError(v8::String::NewFromUtf8Literal(
        isolate, "mutePromiseHooks(noop): noop must be a function of the context to mute.")));
    return;
  }
  v8::Local<v8::Function> noop = args[0].As<v8::Function>();
  v8::Local<v8::Context> target;
#if V8_MAJOR_VERSION >= 13
  if (!noop->GetCreationContext(isolate).ToLocal(&target)) return;
#else
  if (!noop->GetCreationContext().ToLocal(&target)) return;
#endif
  target->SetPromiseHooks(noop, v8::Local<v8::Function>(), v8::Local<v8::Function>(),
                          v8::Local<v8::Function>());
}

void Cleanup(void* data) {
  auto* watchdog = static_cast<Watchdog*>(data);
  watchdog->Stop();
  delete watchdog;
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  v8::Isolate* isolate = context->GetIsolate();
  exports
      ->Set(context, v8::String::NewFromUtf8Literal(isolate, "mutePromiseHooks"),
            v8::FunctionTemplate::New(isolate, MutePromiseHooks)
                ->GetFunction(context)
                .ToLocalChecked())
      .Check();
  auto* watchdog = new Watchdog(isolate);
  int status = watchdog->Start();
  if (status != 0) {
    delete watchdog;
    std::string message = std::string("the watchdog thread did not start (") +
                          uv_err_name(status) + ": " + uv_strerror(status) + ")";
    exports
        ->Set(context, v8::String::NewFromUtf8Literal(isolate, "error"),
              v8::String::NewFromUtf8(isolate, message.c_str()).ToLocalChecked())
        .Check();
    return;
  }
  node::AddEnvironmentCleanupHook(isolate, Cleanup, watchdog);
  v8::Local<v8::External> data = v8::External::New(isolate, watchdog);
  exports
      ->Set(context, v8::String::NewFromUtf8Literal(isolate, "run"),
            v8::FunctionTemplate::New(isolate, Run, data)->GetFunction(context).ToLocalChecked())
      .Check();
}
