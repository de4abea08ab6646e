"""The review app's routers, one per part of the app (see `grader.review.app.create_app`)."""
