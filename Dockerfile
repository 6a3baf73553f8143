# The ipsentry image used by docker-compose.yml (API, scheduler, delivery workers).
FROM python:3.12-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir '/app[cluster]' && useradd --create-home ipsentry
USER ipsentry
ENV IPSENTRY_DATA_DIR=/home/ipsentry/var
EXPOSE 8000
CMD ["ipsentry", "serve", "--host", "0.0.0.0"]
