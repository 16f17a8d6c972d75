-- One-time login links of the web app (docs/sign-in.md): the id (jti) of each link redeemed,
-- so that a link opens one session only, whichever hub replica it reaches. A row is kept until
-- its link would have expired anyway.
-- CreateTable
CREATE TABLE "login_link_use" (
    "jti" TEXT NOT NULL,
    "used_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "login_link_use_pkey" PRIMARY KEY ("jti")
);

-- CreateIndex
CREATE INDEX "login_link_use_expires_at_idx" ON "login_link_use"("expires_at");
