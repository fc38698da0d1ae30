# examsvc service image. Build: docker build -t examsvc .
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN useradd --create-home --uid 10001 examsvc
WORKDIR /app
COPY pyproject.toml README.md ./
COPY examsvc ./examsvc
COPY migrations ./migrations
COPY question_banks ./question_banks
RUN pip install --no-cache-dir . && rm -rf /app/examsvc
USER examsvc
ENV EXAMSVC_DATA_DIR=/var/lib/examsvc
VOLUME ["/var/lib/examsvc"]
EXPOSE 8000
CMD ["examsvc", "serve", "--host", "0.0.0.0", "--port", "8000", "--migrate"]
