# The same steps as `make run`: install (torch CPU build first), build the model, ingest, serve.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 \
    VENV=/app/.venv EQUASS_HOST=0.0.0.0
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 assistant
WORKDIR /app
COPY --chown=assistant:assistant . /app
USER assistant
# The model is converted at image build time, and the default corpus indexed, so the
# container starts serving in seconds and needs no network.
# torch's CPU wheel (PyPI's default Linux wheel is the multi-GB CUDA build).
RUN make index TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
EXPOSE 8000
CMD ["make", "run", "HOST=0.0.0.0", "PORT=8000"]
