-- Web sessions ended by POST /logout (docs/sign-in.md): the session JWT's id (jti), so that its
-- cookie is refused on every hub replica although the token has not expired. A row is kept
-- until its session would have expired anyway (plus a margin for clock skew).
-- CreateTable
CREATE TABLE "session_end" (
    "jti" TEXT NOT NULL,
    "ended_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "session_end_pkey" PRIMARY KEY ("jti")
);

-- CreateIndex
CREATE INDEX "session_end_expires_at_idx" ON "session_end"("expires_at");
