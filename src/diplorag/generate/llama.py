"""The llama.cpp backend: a local GGUF model through llama-cpp-python, on the CPU.

Decoding is greedy (temperature 0, fixed seed) and every question starts from the same model
state, so the same prompt gives the same answer, run after run. That state is the system
prompt already read: its KV cache is computed once and restored for each question, so the
model reads only the evidence and the question (``benchmarks/first_token.py``). The chat
template is the one stored in the GGUF's metadata.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from diplorag.errors import DependencyMissingError, GenerationError
from diplorag.generate import ChatMessage, GenerationStats

__all__ = ["LLAMA_CPP_REQUIREMENT", "LlamaGenerator"]

LLAMA_CPP_REQUIREMENT = "llama-cpp-python==0.3.36"


class _TokenCounter:
    """Counts the prompt and sampled tokens of one completion."""

    def __init__(self) -> None:
        self.prompt_tokens = 0
        self.completion_tokens = 0

    def reset(self) -> None:
        self.prompt_tokens = 0
        self.completion_tokens = 0


class LlamaGenerator:
    """A ``Generator`` backed by llama.cpp.

    Example:
        >>> gen = LlamaGenerator(resolve_model("smollm2-135m", Path("models")), n_ctx=4096,
        ...                      n_threads=2)
        >>> "".join(gen.stream(messages, max_tokens=128))
    """

    def __init__(
        self,
        model_path: Path | str,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        seed: int = 0,
        name: str | None = None,
        reuse_system_prompt: bool = True,
    ) -> None:
        """Load the model.

        Args:
            model_path: A GGUF file (see ``models.resolve_model``).
            n_ctx: Context window in tokens: prompt and answer must fit in it together.
            n_threads: CPU threads; defaults to the number of cores.
            seed: Sampler seed; decoding is greedy, so it only matters for ties.
            name: Shown as the answer's model; defaults to the file name without ``.gguf``.
            reuse_system_prompt: Read a system prompt once and restore that state for each
                question (False: read the whole prompt every time, for comparison).

        Raises:
            DependencyMissingError: llama-cpp-python is not installed.
            GenerationError: the file is not a model llama.cpp can load.
        """
        try:
            import llama_cpp
        except ImportError:
            raise DependencyMissingError(
                "answering questions needs llama-cpp-python, which is not installed",
                hint=f"fix: pip install '{LLAMA_CPP_REQUIREMENT}' (it compiles from source, "
                "about 9 minutes on 2 cores)",
            ) from None

        path = Path(model_path)
        self.name = name or path.name.removesuffix(".gguf")
        self.model_path = path
        self.last_stats: GenerationStats | None = None
        threads = n_threads or os.cpu_count() or 2
        captured = io.StringIO()
        try:
            with _captured_stderr(captured), _without_amx_repacking(llama_cpp):
                self._llm: Any = llama_cpp.Llama(
                    model_path=str(path),
                    n_ctx=n_ctx,
                    n_threads=threads,
                    n_threads_batch=threads,
                    seed=seed,
                    verbose=False,
                    # chat_format left unset: llama-cpp-python then uses the GGUF's own
                    # tokenizer.chat_template.
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise GenerationError(
                f"cannot load model {path}: {_load_failure_reason(exc, captured.getvalue())}",
                hint="the file is damaged or not a GGUF llama.cpp supports; for a known model "
                "run: diplorag models install NAME --force",
            ) from None
        self._seed = seed
        self._reuse = reuse_system_prompt
        self._prefix: tuple[str, Any] | None = None  # (system prompt, state after reading it)
        self.prefix_tokens = 0
        self._counter = _TokenCounter()
        self._install_token_counter()

    # -- the Generator protocol -----------------------------------------------------------------

    def stream(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int,
        stop: Sequence[str] = (),
        grammar: str | None = None,
    ) -> Iterator[str]:
        """Yield the reply to ``messages`` as it is generated, a token or so at a time.

        Closing the iterator early (``break``, ``.close()``, Ctrl-C) stops generation; the
        model stays usable for the next call, and ``last_stats`` says ``"interrupted"``.

        Args:
            messages: The chat so far, system message first, ending with the user's turn.
            max_tokens: Stop after this many tokens.
            stop: Strings that end the reply; they are not part of it.
            grammar: A GBNF grammar the reply must follow; sampling only ever picks tokens
                that keep the reply inside it.

        Yields:
            Pieces of the reply text, in order.

        Raises:
            GenerationError: llama.cpp failed, e.g. the prompt does not fit ``n_ctx``.
        """
        started = time.perf_counter()
        first: float | None = None
        finish: Literal["stop", "length", "interrupted"] = "interrupted"
        self._counter.reset()
        chunks: Iterator[dict[str, Any]] | None = None
        try:
            try:
                # Forget the previous question but keep the system prompt read: identical
                # prompts then give identical answers (a prefix of varying length would change
                # batch shapes and so, in rare ties, the argmax), and an interrupted decode
                # never leaves a stale KV cache behind.
                self._restore_system_prompt(messages)
                compiled = self._grammar(grammar) if grammar is not None else None
                chunks = self._llm.create_chat_completion(
                    grammar=compiled,
                    messages=list(messages),
                    stream=True,
                    max_tokens=max_tokens,
                    stop=list(stop),
                    temperature=0.0,
                    top_k=1,
                    top_p=1.0,
                    min_p=0.0,
                    # A repeat penalty would discourage the repeated "[1]" citations we ask for.
                    repeat_penalty=1.0,
                    seed=self._seed,
                )
                assert chunks is not None
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    piece = choice.get("delta", {}).get("content")
                    if choice.get("finish_reason") in ("stop", "length"):
                        finish = choice["finish_reason"]
                    if piece:
                        if first is None:
                            first = time.perf_counter() - started
                        yield piece
            except ValueError as exc:
                # llama-cpp-python reports an over-long prompt as a ValueError.
                raise GenerationError(
                    f"the model could not answer: {exc}",
                    hint="ask with fewer passages (--top-k) or a larger context (--llm-context)",
                ) from None
            except RuntimeError as exc:
                raise GenerationError(f"the model failed while answering: {exc}") from None
        finally:
            if chunks is not None and hasattr(chunks, "close"):
                # Runs llama-cpp-python's generators to their end now, not at some later GC.
                chunks.close()
            total = time.perf_counter() - started
            self.last_stats = GenerationStats(
                prompt_tokens=self._counter.prompt_tokens,
                completion_tokens=self._counter.completion_tokens,
                first_token_seconds=first if first is not None else total,
                total_seconds=total,
                finish_reason=finish,
            )

    # -- extras ---------------------------------------------------------------------------------

    def _restore_system_prompt(self, messages: Sequence[ChatMessage]) -> None:
        """Put the model in the state of having read ``messages``' system prompt, and no more.

        The first time a system prompt is seen, its tokens are found as the common prefix of
        two renderings of the chat template that differ only after it, read once, and the
        state saved; llama-cpp-python then matches that prefix and reads only the rest.
        """
        system = messages[0]["content"] if messages and messages[0]["role"] == "system" else None
        if system is None or not self._reuse:
            self._llm.reset()
            return
        if self._prefix is not None and self._prefix[0] == system:
            self._llm.load_state(self._prefix[1])
            return
        self._llm.reset()
        tokens = self._system_prefix(system)
        if tokens:
            self._llm.eval(tokens)
        self._prefix = (system, self._llm.save_state())
        self.prefix_tokens = len(tokens)

    def _system_prefix(self, system: str) -> list[int]:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            return []
        model = self._llm._model

        def text(token: int) -> str:
            return str(model.token_get_text(token)) if token != -1 else ""

        formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=text(self._llm.token_eos()),
            bos_token=text(self._llm.token_bos()),
        )
        renderings = []
        for user in ("a", "b"):
            chat: list[Any] = [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ]
            result = formatter(messages=chat)
            renderings.append(
                self._llm.tokenize(
                    result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
                )
            )
        common = 0
        for a, b in zip(*renderings, strict=False):
            if a != b:
                break
            common += 1
        # Tokens just before the user's text can merge with it; keep a margin of two.
        return list(renderings[0][: max(0, common - 2)])

    def _grammar(self, text: str) -> Any:
        """Compile a GBNF grammar (invalid grammar is a bug here, reported as such)."""
        from llama_cpp.llama_grammar import LlamaGrammar

        captured = io.StringIO()
        try:
            with _captured_stderr(captured):
                return LlamaGrammar.from_string(text, verbose=False)
        except ValueError as exc:
            log = captured.getvalue()[:200]
            raise GenerationError(f"invalid answer grammar: {exc}: {log}") from None

    @property
    def n_ctx(self) -> int:
        """The context window in tokens."""
        return int(self._llm.n_ctx())

    def count_tokens(self, text: str) -> int:
        """Number of tokens ``text`` takes for this model (special tokens not parsed)."""
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def close(self) -> None:
        """Free the model's memory now rather than at garbage collection."""
        llm = getattr(self, "_llm", None)
        if llm is not None:
            llm.close()
            self._llm = None

    def __enter__(self) -> LlamaGenerator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _install_token_counter(self) -> None:
        """Wrap the model's ``generate`` so each stream's token counts can be reported.

        Streamed chat chunks carry no usage numbers, and ``generate`` is where
        llama-cpp-python hands over the exact prompt tokens and each sampled token.
        """
        original: Callable[..., Any] = self._llm.generate
        counter = self._counter

        def counting_generate(
            tokens: Sequence[int], *args: Any, **kwargs: Any
        ) -> Generator[int, Any, None]:
            counter.prompt_tokens = len(tokens)
            inner = original(tokens, *args, **kwargs)
            try:
                sent: Any = None
                while True:
                    token = inner.send(sent)
                    counter.completion_tokens += 1
                    sent = yield token
            except StopIteration:
                return
            finally:
                inner.close()

        self._llm.generate = counting_generate


def _cpu_has_amx() -> bool:
    """Whether this processor has Intel AMX (the ``amx_int8`` flag of /proc/cpuinfo)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return "amx_int8" in line.split()
    except OSError:
        pass
    return False


@contextlib.contextmanager
def _without_amx_repacking(llama_cpp: Any) -> Iterator[None]:
    """Load the model without llama.cpp's extra weight buffers on a processor with AMX.

    llama.cpp 0.3.36's AMX buffer takes ``token_embd.weight`` too and the first decode then
    crashes with a segmentation fault, for SmolLM2 (Q4_1) and Qwen2.5 (Q4_K_M) alike
    (ggml-org/llama.cpp#19184). ``Llama`` has no argument for ``use_extra_bufts``, so the
    default parameters it starts from are given with it off while it loads.
    """
    if not _cpu_has_amx():
        yield
        return
    module = llama_cpp.llama_cpp
    default_params = module.llama_model_default_params

    def params_without_extra_buffers() -> Any:
        params = default_params()
        params.use_extra_bufts = False
        return params

    module.llama_model_default_params = params_without_extra_buffers
    try:
        yield
    finally:
        module.llama_model_default_params = default_params


@contextlib.contextmanager
def _captured_stderr(captured: io.StringIO) -> Iterator[None]:
    """Send native (fd 2) and Python stderr to ``captured``: llama.cpp's load chatter is hidden
    but its error lines can still be quoted."""
    try:
        fd = sys.__stderr__.fileno() if sys.__stderr__ is not None else 2
        saved = os.dup(fd)
    except (OSError, ValueError, io.UnsupportedOperation):
        # No real fd 2 (embedded interpreter): nothing native to hide.
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as sink:
        old_stderr = sys.stderr
        try:
            sys.stderr.flush()
            os.dup2(sink.fileno(), fd)
            sys.stderr = io.TextIOWrapper(os.fdopen(os.dup(fd), "wb"), encoding="utf-8")
            yield
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
                sys.stderr.close()
            sys.stderr = old_stderr
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            captured.write(sink.read().decode("utf-8", errors="replace"))


def _load_failure_reason(exc: Exception, log: str) -> str:
    """One line saying why the load failed, preferring llama.cpp's own error line."""
    for line in log.splitlines():
        if "error" in line.lower() and line.strip():
            return line.strip().removeprefix("llama_model_load: ")[:200]
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if message.startswith("Failed to load model from file"):
        return "llama.cpp could not read it"  # the rest only repeats the path
    return message[:200]
