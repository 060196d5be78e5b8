#!/usr/bin/env bash
# Run once by the image's entrypoint on first start, after 10_movie_recs.sql (the entrypoint
# sources it, with the temporary server listening on the Unix socket).
# With MOVIE_RECS_DEMO=1: loads the demo data (tables ratings and movies in schema public of
# POSTGRES_DB) and trains the first model, so recommend_movies() answers as soon as the
# container is ready. Any other value than 1/0 (or true/false, yes/no, on/off) is an error.

movie_recs_demo() {
    local db=${POSTGRES_DB:-${POSTGRES_USER:-postgres}}
    case "${MOVIE_RECS_DEMO:-0}" in
        0 | false | no | off | "") return 0 ;;
        1 | true | yes | on) ;;
        *)
            echo "movie_recs: MOVIE_RECS_DEMO must be 1 or 0, not '${MOVIE_RECS_DEMO}'" >&2
            return 1
            ;;
    esac
    echo "movie_recs: loading the demo data and training the first model in database \"$db\""
    psql -X -v ON_ERROR_STOP=1 --no-password --username "${POSTGRES_USER:-postgres}" \
        --dbname "$db" <<'SQL'
SELECT * FROM movie_recs.load_demo_data();
SELECT model_id, k, iterations, users, movies, ratings, round(train_seconds::numeric, 2) AS seconds
  FROM train_movie_clusters();
SQL
}

movie_recs_demo
unset -f movie_recs_demo
