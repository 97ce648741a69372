# gaffertape in a container: the app, JupyterLab and (optionally) Spark, from one image.
# UNTESTED HERE: no Docker engine runs where gaffertape is developed; tests/sql/test_deploy.py
# checks what can be checked without one (see docs/sql.md, "Deployment").
FROM python:3.11-slim-bookworm

# Java 17 for Spark (pyspark runs the Spark master, workers and driver in a JVM).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/*

# One unprivileged user owns the workspace; nothing runs as root.
RUN useradd --create-home --uid 1000 gaffer \
    && mkdir /workspace && chown gaffer /workspace

WORKDIR /opt/gaffertape
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir '.[spark]' jupyterlab jupysql

USER gaffer
ENV GAFFERTAPE_WORKSPACE=/workspace
VOLUME /workspace
EXPOSE 8050 8888
# The token comes from the environment (GAFFERTAPE_APP_TOKEN), never from the image.
CMD ["gaffertape", "app", "--host", "0.0.0.0"]
