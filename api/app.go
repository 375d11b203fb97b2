package api

import "github.com/gin-gonic/gin"

func (s *Server) mountApp(e *gin.Engine) {}
